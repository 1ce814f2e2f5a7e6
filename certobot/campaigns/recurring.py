"""A recurring campaign's run: claim what is due, read the segment with no transaction open, queue.

Read, decide, write: the claim (one short transaction) already moved the campaign's next run, so
a run is started once however many processes wake up; the CRM is read with nothing held; the
items are written in a second short transaction. A CRM outage marks that run failed, and the
next occurrence tries again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.campaigns import service
from certobot.config import BotSettings
from certobot.crm.client import CrmClient, CrmUnavailable
from certokit.db import transaction
from certokit.logging import get_logger

log = get_logger("certobot.campaigns")


async def start_due_runs(
    sessionmaker: async_sessionmaker[AsyncSession], crm: CrmClient, settings: BotSettings, now: datetime
) -> int:
    """Start every run due at `now`; returns how many started."""
    async with transaction(sessionmaker) as db:
        claimed = await service.claim_due_runs(db, settings, now)
    for run_id, campaign_id in claimed:
        async with sessionmaker() as db:
            seg, recent_hours, queued = await service.run_inputs(db, campaign_id, settings)
        try:
            debtors = await service.portfolio(crm, seg)
        except CrmUnavailable:
            log.warning("campaign_run_crm_down", campaign_id=campaign_id, run_id=run_id)
            async with transaction(sessionmaker) as db:
                await service.fill_run(db, run_id, None, "O CRM não respondeu; a próxima execução tenta de novo.")
            continue
        async with transaction(sessionmaker) as db:
            sel = await service.evaluate(db, debtors, seg, now, recent_hours, exclude=queued)
            await service.fill_run(db, run_id, sel, None)
        log.info("campaign_run_started", campaign_id=campaign_id, run_id=run_id, queued=len(sel.chosen))
    return len(claimed)
