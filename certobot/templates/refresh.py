"""Keeping this process's copy of the templates current: reload on NOTIFY, and every so often anyway.

One query per change (and per slow poll), never one per message: the turn reads `ACTIVE` in memory.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.config import BotSettings
from certobot.templates import repository as repo
from certobot.templates.active import ACTIVE
from certobot.templates.service import usable
from certokit import wakeup
from certokit.clock import Clock, today_sp
from certokit.logging import get_logger
from certokit.wakeup import Wakeups

log = get_logger("certobot.templates")
POLL_SECONDS = 30.0  # behind the NOTIFY: a lost notification costs at most this long


async def reload(sessionmaker: async_sessionmaker[AsyncSession], settings: BotSettings, clock: Clock) -> None:
    async with sessionmaker() as db:
        rows = await repo.latest(db)
    today = today_sp(clock.now())
    good = {k: r for k, r in rows.items() if usable(k, r.body, settings, today)}
    for key in rows.keys() - good.keys():
        # Saved under older code whose placeholders changed: the default speaks until someone fixes it.
        log.warning("template_unusable", key=key)
    ACTIVE.replace({k: r.body for k, r in good.items()}, {k: r.version for k, r in good.items()})


async def run_refresh(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: BotSettings,
    clock: Clock,
    stop: asyncio.Event,
    *,
    every: float = POLL_SECONDS,
    wakeups: Wakeups | None = None,
) -> None:
    wakeups = wakeups or Wakeups(settings.database_url, (repo.CHANNEL,))
    listener = asyncio.create_task(wakeups.run(stop), name="templates-listen")
    try:
        while not stop.is_set():
            try:
                await reload(sessionmaker, settings, clock)
            except (SQLAlchemyError, OSError) as exc:  # the database is back soon; the texts in memory still work
                log.warning("template_reload_failed", error=type(exc).__name__)
            await wakeup.wait(wakeups.event(repo.CHANNEL), stop, wakeups.poll_every(every))
    finally:
        listener.cancel()
        with suppress(asyncio.CancelledError):
            await listener
