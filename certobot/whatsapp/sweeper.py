"""The safety net behind the hot path: inbound events nobody announced, WhatsApp sends to retry.

The webhook announces every stored event on the Redis stream and the worker that wrote a reply
sends it at once; this loop catches what fell between: an event stored while Redis was down (or by
a process killed between its commit and its announcement), a send waiting out a backoff, a lease
left by a process that died mid-send. It sleeps until the earliest of those is due, woken early by
a NOTIFY (`certokit.wakeup.SWEEP`: the webhook when it could not announce, the sender when it
scheduled a retry), with a slow fallback poll for anything else. A dead process's lease is waited
out in full (certobot.outbox.LEASE, 120 s; REPLY_LEASE, 30 s, for a turn's replies) before its row
is sent again: Meta's "sent" status, seconds after the send, has by then recorded a row that did
go out (certobot.whatsapp.statuses). It runs in one process, the leader (certokit.leader): N
sweepers would announce the same events N times.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from certobot.negotiation.models import Outbox
from certobot.resources import Resources
from certobot.whatsapp.models import InboundEvent
from certobot.whatsapp.pipeline import announce, conversation_lock
from certobot.whatsapp.sender import Sender
from certokit import wakeup
from certokit.db import utcnow
from certokit.logging import get_logger

log = get_logger("certobot.sweeper")

# An event younger than this is still on its way through the normal path: not re-announced yet.
GRACE_SECONDS = 5.0
# Conversations with due sends served per pass; a full pass goes again at once (`run_sweeper`).
DUE_BATCH = 100


async def sweep_once(resources: Resources, sender: Sender, *, grace: float = GRACE_SECONDS) -> int:
    """Re-announce stored events nobody processed, and send replies whose first try failed; returns
    how many conversations had sends due (a full `DUE_BATCH`: there are probably more)."""
    async with resources.sessionmaker() as session:
        keys = (
            await session.scalars(
                select(InboundEvent.phone_key)
                .where(
                    InboundEvent.processed_at.is_(None),
                    InboundEvent.received_at < utcnow() - timedelta(seconds=grace),
                )
                .distinct()
                .limit(500)
            )
        ).all()
    await announce(resources.redis, list(keys))
    due = await sender.due_conversations(DUE_BATCH)
    for conv_id, phone_key in due:
        if phone_key is None:
            await sender.deliver_conversation(conv_id)
            continue
        try:
            async with conversation_lock(resources.redis, phone_key, hold_seconds=20):
                await sender.deliver_conversation(conv_id)
        except TimeoutError:
            continue  # busy: its holder sends, or the next pass does
    return len(due)


async def next_due(resources: Resources, *, grace: float = GRACE_SECONDS) -> datetime | None:
    """When the sweeper has something to look at next (None: nothing pending anywhere)."""
    now = utcnow()
    async with resources.sessionmaker() as session:
        unannounced = await session.scalar(
            select(func.min(InboundEvent.received_at)).where(InboundEvent.processed_at.is_(None))
        )
        pending = Outbox.kind == "whatsapp", Outbox.status == "pending"
        retry = await session.scalar(
            select(func.min(Outbox.next_attempt_at)).where(
                *pending, (Outbox.locked_until.is_(None)) | (Outbox.locked_until <= now)
            )
        )
        lease = await session.scalar(select(func.min(Outbox.locked_until)).where(*pending, Outbox.locked_until > now))
    times = [t for t in (retry, lease) if t is not None]
    if unannounced is not None:
        times.append(unannounced + timedelta(seconds=grace))
    return min(times, default=None)


async def run_sweeper(
    resources: Resources,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    *,
    fallback: float | None = None,
    grace: float | None = None,
) -> None:
    wake = wake or asyncio.Event()
    grace = GRACE_SECONDS if grace is None else grace
    every = fallback if fallback is not None else resources.settings.background_poll_seconds
    sender = Sender(resources)
    while not stop.is_set():
        due: datetime | None
        try:
            served = await sweep_once(resources, sender, grace=grace)
            due = await next_due(resources, grace=grace)
            now = utcnow()
            if due is not None and due <= now and served < DUE_BATCH:
                # What this pass could not finish (an event the consumer keeps failing, a busy lock):
                # again in a few seconds, as the sweeper always did, not in a spin. After a full
                # pass the rest of a backlog (a Graph outage that ended, a worker killed with many
                # replies leased) goes at once, not a batch per few seconds.
                due = now + timedelta(seconds=grace)
        except Exception:
            log.exception("sweep_failed")
            due = utcnow() + timedelta(seconds=grace)
        await wakeup.wait(wake, stop, wakeup.until(due, utcnow(), every))
