"""Background work of the CRM, started and stopped with its lifespan: boleto delivery on WhatsApp.

Only in the process(es) with CRM_RUN_WORKERS (default true); the loop sleeps until Postgres
NOTIFYs a new delivery, with a slow fallback poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.config import CrmSettings
from certobot.wakeup import BOLETO_DELIVERY, Wakeups
from certobot.whatsapp.graph import GraphClient
from mock_crm.boletos.delivery import run_delivery_loop


@asynccontextmanager
async def run_background(
    sessionmaker: async_sessionmaker[AsyncSession], settings: CrmSettings, graph: GraphClient
) -> AsyncIterator[None]:
    if not settings.run_background_workers:
        yield
        return
    stop = asyncio.Event()
    wakeups = Wakeups(settings.database_url, (BOLETO_DELIVERY,))
    tasks = [
        asyncio.create_task(wakeups.run(stop), name="listen"),
        asyncio.create_task(
            run_delivery_loop(
                sessionmaker,
                graph,
                settings,
                stop,
                wakeups.event(BOLETO_DELIVERY),
                wakeups.poll_every(settings.outbox_poll_seconds),
            ),
            name="boleto-delivery",
        ),
    ]
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
