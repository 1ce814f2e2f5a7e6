"""Accepting what a provider's webhook carried: stored durably and once, then announced.

The same steps for every provider: flood check, the inbound events (unique by message id, so a
redelivery or a second event kind carrying the same message is a no-op), the statuses, one commit,
and only then the announcement to the workers (a crash after the commit loses nothing: the
sweeper re-announces what was stored).

On Postgres the webhooks that arrive together share those statements (certobot.whatsapp.inbox
.InboundWriters): one stores the messages of all their bodies, one records their statuses, one Redis
round trip announces their phones. Each webhook is still answered only once its own rows committed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from certobot.resources import Resources
from certobot.whatsapp.inbox import InboundWriters, store_messages, store_statuses
from certobot.whatsapp.pipeline import announce
from certobot.whatsapp.provider import Inbound
from certobot.whatsapp.schemas import InboundMessage
from certokit import wakeup
from certokit.logging import get_logger

log = get_logger("certobot.intake")


async def flood_check(redis: Redis, messages: list[InboundMessage], limit: int) -> frozenset[str]:
    """The wamids past their phone's per-minute allowance (a Redis counter per phone and minute)."""
    if not messages:
        return frozenset()
    minute = int(time.time() // 60)
    # MULTI/EXEC: each INCR lands with its EXPIRE or not at all, still in one round trip.
    async with redis.pipeline(transaction=True) as pipe:
        for m in messages:
            key = f"certobot:flood:{m.phone_key}:{minute}"
            pipe.incr(key)
            pipe.expire(key, 120)
        counts = (await pipe.execute())[::2]
    over = frozenset(m.wamid for m, n in zip(messages, counts, strict=True) if int(n) > limit)
    if over:
        log.warning("phone_throttled", messages=len(over))
    return over


@dataclass(frozen=True)
class Accepted:
    messages: int
    statuses: int


async def _wake_the_sweeper(resources: Resources) -> None:
    """Stored but not announced: the sweeper announces it once it is GRACE_SECONDS old."""
    try:
        async with resources.sessionmaker() as session, session.begin():
            await wakeup.notify(session, wakeup.SWEEP)
    except Exception:  # the database too: the sweeper's fallback poll finds the event anyway
        log.exception("sweep_wake_failed")


def writers(resources: Resources) -> InboundWriters:
    if resources.inbound is None:
        limit = resources.settings.flood_limit_per_minute
        resources.inbound = InboundWriters(
            resources.engine, limit, lambda: resources.marks, lambda keys: announce(resources.redis, keys)
        )
    return resources.inbound


async def accept(resources: Resources, inbound: Inbound) -> Accepted:
    limit = resources.settings.flood_limit_per_minute
    applied = 0
    if resources.engine.dialect.name == "postgresql":
        # One statement for every message of the bodies arriving together, flood counted inside it;
        # one for their statuses. The replies' records this process's worker holds ride on them
        # (certobot.whatsapp.marks).
        w = writers(resources)
        fresh = await w.store(inbound.messages) if inbound.messages else []
        applied = await w.record(inbound.statuses) if inbound.statuses else 0
    else:
        flooded = await flood_check(resources.redis, inbound.messages, limit)
        async with resources.sessionmaker() as session, session.begin():
            fresh = await store_messages(session, inbound.messages, flooded)
            applied = await store_statuses(session, inbound.statuses)
    try:
        await writers(resources).announce(fresh)
    except Exception:
        log.exception("announce_failed")
        await _wake_the_sweeper(resources)
    return Accepted(messages=len(fresh), statuses=applied)
