"""The loop that moves campaigns along: loads CRM filters page by page, opens due conversations.

Every step is one short transaction on Postgres rows, so several processes could run it together
and a killed process leaves nothing half-done: the next step continues from the rows. It runs in
one process all the same (the leader, `certokit.leader`): N processes stepping every campaign would
only contend for the same rows. It sleeps until the next paced send or a NOTIFY, not on a timer.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy import func, select

from certobot.campaigns import service
from certobot.campaigns.models import Campaign
from certobot.campaigns.recurring import start_due_runs
from certobot.conversations.contact_policy import within_contact_hours
from certobot.conversations.service import ConversationService
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.negotiation.models import Conversation
from certobot.negotiation.session import SessionStore
from certobot.resources import Resources
from certobot.whatsapp.pipeline import conversation_lock
from certobot.whatsapp.sender import Sender
from certokit import wakeup
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


async def loading(resources: Resources) -> bool:
    async with resources.sessionmaker() as db:
        return await db.scalar(select(Campaign.id).where(Campaign.status == "loading").limit(1)) is not None


async def next_due(resources: Resources, now: datetime) -> datetime | None:
    """The earliest paced send of a running campaign: when the runner has something to do next
    (None: nothing runnable, or not in the contact hours: sleep until NOTIFY or the fallback)."""
    async with resources.sessionmaker() as db:
        due = await db.scalar(select(func.min(Campaign.next_send_at)).where(Campaign.status == "running"))
        run = await service.next_run_due(db)  # a recurring campaign's next run wakes the runner too
    if due is not None and due <= now and not within_contact_hours(now, resources.settings):
        due = None  # outside the contact hours: the fallback poll finds the window open again
    if run is not None and (due is None or run < due):
        return run  # the run's time was chosen inside the contact hours (campaigns.schedule.next_run)
    return due


async def run_campaigns(
    resources: Resources, stop: asyncio.Event, wake: asyncio.Event | None = None, *, fallback: float | None = None
) -> None:
    """Sleep until a campaign is due (its next paced send) or the database NOTIFYs a new or resumed
    one (migration 0011), with a slow fallback poll for a lost notification or an opening window."""
    wake = wake or asyncio.Event()
    every = fallback if fallback is not None else resources.settings.background_poll_seconds
    stalled = 0  # passes in a row that had something due and did nothing (the CRM is down)
    while not stop.is_set():
        due: datetime | None
        try:
            opened = await tick(resources)
            now = resources.clock.now()
            # The next page of a CRM filter soon (not at once: a CRM that is down is asked 5 times a second).
            due = now + timedelta(seconds=0.2) if await loading(resources) else await next_due(resources, now)
            stalled = stalled + 1 if due is not None and due <= now and not opened else 0
            if stalled > 1:
                due = now + timedelta(seconds=min(30, stalled))  # back off, without sleeping past the fallback
        except Exception:
            log.exception("campaign_pass_failed")
            due = resources.clock.now() + timedelta(seconds=5)
        await wakeup.wait(wake, stop, wakeup.until(due, resources.clock.now(), every))
