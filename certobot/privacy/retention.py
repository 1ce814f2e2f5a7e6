"""Retention: personal data of closed conversations is anonymised after PERSONAL_DATA_RETENTION_DAYS.

Runs with the other background work, hourly; several processes may run it at once (rows are taken
with SKIP LOCKED). Outcomes and amounts stay: the creditor keeps the record of what was agreed.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

from certobot.privacy.subject import anonymise_expired
from certobot.resources import Resources
from certokit.db import transaction
from certokit.logging import get_logger

log = get_logger("certobot.retention")
INTERVAL_SECONDS = 3600


async def retention_pass(resources: Resources) -> int:
    cutoff = resources.clock.now() - timedelta(days=resources.settings.personal_data_retention_days)
    total = 0
    while True:
        async with transaction(resources.sessionmaker) as db:
            done = await anonymise_expired(db, before=cutoff)
        total += done
        if done == 0:
            break
    if total:
        log.info("retention_anonymised", conversations=total)
    return total


async def run_retention_loop(resources: Resources, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await retention_pass(resources)
        except Exception:
            log.exception("retention_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), INTERVAL_SECONDS)
