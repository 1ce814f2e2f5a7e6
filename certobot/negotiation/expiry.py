"""Conversations left silent are ended on purpose, not by a vanishing TTL.

A loop finds active conversations with no activity for CONVERSATION_TIMEOUT_SECONDS, takes each one's
lock (the same one the message worker holds), and lets the flow end it: a kind message to the
debtor, the session closed, the outcome queued for the CRM.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from sqlalchemy import select

from certobot.negotiation.flow import ConversationFlow, timeout_cutoff
from certobot.negotiation.models import Conversation
from certobot.resources import Resources
from certobot.whatsapp.pipeline import conversation_lock
from certokit.db import transaction
from certokit.logging import get_logger

log = get_logger("certobot.expiry")


async def expire_due(resources: Resources, flow: ConversationFlow, *, limit: int = 100) -> list[str]:
    """End every overdue conversation once; returns their ids."""
    res = resources
    cutoff = timeout_cutoff(flow.settings)
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
    for conv_id, key in due:
        async with conversation_lock(res.redis, key), transaction(res.sessionmaker) as db:
            conv = await db.get(Conversation, conv_id, with_for_update=True)
            if conv is None or conv.status != "active" or conv.updated_at >= timeout_cutoff(flow.settings):
                continue  # the debtor wrote meanwhile
            if await flow.expire(db, conv):
                ended.append(conv_id)
    return ended


async def run_expiry_loop(
    resources: Resources, flow: ConversationFlow, stop: asyncio.Event, every: float = 5.0
) -> None:
    while not stop.is_set():
        try:
            ended = await expire_due(resources, flow)
            if ended:
                log.info("conversations_expired", count=len(ended))
        except Exception:
            log.exception("expiry_pass_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
