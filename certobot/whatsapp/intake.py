"""Accepting what a provider's webhook carried: stored durably and once, then announced.

The same steps for every provider: flood check, the inbound events (unique by message id, so a
redelivery or a second event kind carrying the same message is a no-op), the statuses, one commit,
and only then the announcement to the workers (a crash after the commit loses nothing: the
sweeper re-announces what was stored).
"""

from __future__ import annotations

from dataclasses import dataclass

from certobot.logging import get_logger
from certobot.resources import Resources
from certobot.whatsapp.inbox import store_messages, store_statuses
from certobot.whatsapp.pipeline import announce
from certobot.whatsapp.provider import Inbound
from certobot.whatsapp.router import flood_check

log = get_logger("certobot.intake")


@dataclass(frozen=True)
class Accepted:
    messages: int
    statuses: int


async def accept(resources: Resources, inbound: Inbound) -> Accepted:
    flooded = await flood_check(resources.redis, inbound.messages, resources.settings.flood_limit_per_minute)
    async with resources.sessionmaker() as session, session.begin():
        fresh = await store_messages(session, inbound.messages, flooded)
        applied = await store_statuses(session, inbound.statuses)
    try:
        await announce(resources.redis, fresh)
    except Exception:
        log.exception("announce_failed")
    return Accepted(messages=len(fresh), statuses=applied)
