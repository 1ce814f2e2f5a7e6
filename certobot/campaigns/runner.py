"""The loop that moves campaigns along: loads CRM filters page by page, opens due conversations.

Every step is one short transaction on Postgres rows, so several processes can run it together
and a killed process leaves nothing half-done: the next step continues from the rows.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime

from sqlalchemy import select

from certobot.campaigns import service
from certobot.campaigns.models import Campaign
from certobot.campaigns.recurring import start_due_runs
from certobot.conversations.service import ConversationService
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.negotiation.models import Conversation
from certobot.negotiation.session import SessionStore
from certobot.resources import Resources
from certobot.whatsapp.pipeline import conversation_lock
from certobot.whatsapp.sender import Sender
from certokit.db import transaction
from certokit.logging import get_logger

log = get_logger("certobot.campaigns")


async def tick(resources: Resources, now: datetime | None = None) -> int:
    """One pass: load one page of each loading campaign, then open what is due. Returns conversations opened."""
    s = resources.settings
    now = now or resources.clock.now()
    crm = CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)
    sessions = SessionStore(resources.redis, keep_seconds=max(3600, s.conversation_timeout_seconds * 10))
    await start_due_runs(resources.sessionmaker, crm, s, now)
    async with transaction(resources.sessionmaker) as db:
        loading = (
            await db.scalars(service.for_update(select(Campaign).where(Campaign.status == "loading").limit(5), db))
        ).all()
        for campaign in loading:
            with suppress(CrmUnavailable):
                await service.load_page(db, campaign, crm)
    async with transaction(resources.sessionmaker) as db:
        opened = await service.step(db, ConversationService(db, s, crm, sessions), s, now)
    # Committed: send the openings now rather than wait for the periodic sender.
    sender = Sender(resources)
    keys: dict[str, str] = {}
    if opened:
        async with resources.sessionmaker() as db:
            rows = await db.execute(select(Conversation.id, Conversation.phone_key).where(Conversation.id.in_(opened)))
            keys = {conv_id: key for conv_id, key in rows.all()}
    for session_id, key in keys.items():
        async with conversation_lock(resources.redis, key, hold_seconds=30):
            await sender.deliver_conversation(session_id)
    return len(opened)


async def run_campaigns(resources: Resources, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
    wake = wake or asyncio.Event()
    while not stop.is_set():
        opened = 0
        try:
            opened = await tick(resources)
        except Exception:
            log.exception("campaign_pass_failed")
        wake.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=0.2 if opened else 1.0)
