"""Conversations left silent are ended on purpose, not by a vanishing TTL.

A loop finds active conversations with no activity for CONVERSATION_TIMEOUT_SECONDS, takes each one's
lock (the same one the message worker holds), and lets the flow end it: a kind message to the
debtor, the session closed, the outcome queued for the CRM. It sleeps until the earliest deadline
(the oldest activity of an active conversation + the timeout), woken early by Postgres when a
conversation becomes active (migration 0011): a message only moves a deadline later, which the loop
finds when it wakes. It runs in one process, the leader (certokit.leader).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from certobot.negotiation.flow import ConversationFlow
from certobot.negotiation.models import Conversation
from certobot.resources import Resources
from certobot.whatsapp.pipeline import conversation_lock
from certobot.whatsapp.sender import Sender
from certokit import wakeup
from certokit.db import one_statement, transaction
from certokit.logging import get_logger

log = get_logger("certobot.expiry")


async def expire_due(resources: Resources, flow: ConversationFlow, *, limit: int = 100) -> list[str]:
    """End every overdue conversation once; returns their ids."""
    res = resources
    cutoff = _cutoff(resources, flow)
    async with res.sessionmaker() as db:
        due = (
            await db.execute(
                select(Conversation.id, Conversation.phone_key)
                .where(Conversation.status == "active", Conversation.updated_at < cutoff)
                .order_by(Conversation.updated_at)
                .limit(limit)
            )
        ).all()
    ended: list[str] = []
    sender = Sender(res)
    for conv_id, key in due:
        async with conversation_lock(res.redis, key):
            async with transaction(res.sessionmaker) as db:
                conv = await db.get(Conversation, conv_id, with_for_update=True)
                if conv is None or conv.status != "active" or conv.updated_at >= _cutoff(resources, flow):
                    continue  # the debtor wrote meanwhile
                if not await flow.expire(db, conv):
                    continue
            ended.append(conv_id)
            # Committed: the goodbye goes now, as a turn's reply would (the sweeper is only the net).
            try:
                await sender.deliver_conversation(conv_id)
            except Exception:
                log.exception("expiry_goodbye_failed")  # its row stays due: the sweeper sends it
    return ended


def _cutoff(resources: Resources, flow: ConversationFlow) -> datetime:
    """Conversations untouched since before this are overdue (the injected clock: tests set it)."""
    return resources.clock.now() - timedelta(seconds=flow.settings.conversation_timeout_seconds)


async def next_deadline(resources: Resources, flow: ConversationFlow) -> datetime | None:
    async with one_statement(resources.sessionmaker) as conn:  # one round trip, no BEGIN/ROLLBACK
        oldest = await conn.scalar(select(func.min(Conversation.updated_at)).where(Conversation.status == "active"))
    return None if oldest is None else oldest + timedelta(seconds=flow.settings.conversation_timeout_seconds)


async def run_expiry_loop(
    resources: Resources,
    flow: ConversationFlow,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    *,
    fallback: float | None = None,
) -> None:
    wake = wake or asyncio.Event()
    every = fallback if fallback is not None else resources.settings.background_poll_seconds
    while not stop.is_set():
        deadline: datetime | None
        try:
            # The earliest deadline first: a wake-up (every conversation that becomes active sends
            # one) mostly finds it still ahead, and then one statement is the whole pass.
            deadline = await next_deadline(resources, flow)
            if deadline is not None and deadline <= resources.clock.now():
                ended = await expire_due(resources, flow)
                if ended:
                    log.info("conversations_expired", count=len(ended))
                deadline = await next_deadline(resources, flow)
                now = resources.clock.now()
                if deadline is not None and deadline <= now:
                    # Still overdue after the pass: its lock was busy (a turn in flight) or more than a
                    # batch was due. Look again in a second rather than spin.
                    deadline = now + timedelta(seconds=0.05 if len(ended) >= 100 else 1)
        except Exception:
            log.exception("expiry_pass_failed")
            deadline = resources.clock.now() + timedelta(seconds=5)
        await _wait_for_deadline(resources, wake, stop, deadline, every)


async def _wait_for_deadline(
    resources: Resources, wake: asyncio.Event, stop: asyncio.Event, deadline: datetime | None, every: float
) -> None:
    """Until the deadline, the fallback poll, or a wake-up that may bring an earlier deadline.

    A wake-up says a conversation became active: its deadline is a whole timeout from now, never
    before one already known. With a deadline ahead, a burst of new conversations (one wake-up each)
    then costs no statement at all; with none known, the first wake-up is looked up."""
    polled = asyncio.get_running_loop().time()
    while True:
        await wakeup.wait(wake, stop, wakeup.until(deadline, resources.clock.now(), every))
        if stop.is_set() or deadline is None or deadline <= resources.clock.now():
            return
        if asyncio.get_running_loop().time() - polled >= every:
            return  # the fallback poll: what no wake-up announced (another writer, a lost notice)
