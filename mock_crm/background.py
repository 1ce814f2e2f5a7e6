"""Background work of the CRM, started and stopped with its lifespan: boleto delivery on WhatsApp,
payment webhooks to the bot.

Only in the process(es) with CRM_BACKGROUND on (or auto with CRM_RUN_WORKERS, the default); the
delivery loop sleeps until Postgres NOTIFYs a new delivery, with a slow fallback poll. No leader
election here: both loops claim one row at a time with a lease (FOR UPDATE SKIP LOCKED), so any
number of processes share them without sending anything twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.wakeup import BOLETO_DELIVERY, Wakeups
from certokit.whatsapp.channel import ChannelSender
from mock_crm.boletos.delivery import run_delivery_loop
from mock_crm.payments.notify import run_notify_loop
from mock_crm.settings import CrmSettings


@asynccontextmanager
async def run_background(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: CrmSettings,
    provider: ChannelSender,
    http: httpx.AsyncClient | None = None,
) -> AsyncIterator[None]:
    if not settings.runs_background:
        yield
        return
    stop = asyncio.Event()
    wakeups = Wakeups(settings.database_url, (BOLETO_DELIVERY,))
    tasks = [
        asyncio.create_task(wakeups.run(stop), name="listen"),
        asyncio.create_task(
            run_delivery_loop(
                sessionmaker,
                provider,
                settings,
                stop,
                wakeups.event(BOLETO_DELIVERY),
                wakeups.poll_every(settings.outbox_poll_seconds),
            ),
            name="boleto-delivery",
        ),
    ]
    if http is not None:
        tasks.append(asyncio.create_task(run_notify_loop(sessionmaker, http, settings, stop), name="payment-notify"))
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
