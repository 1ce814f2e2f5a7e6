"""Background work of the CRM, started and stopped with its lifespan: boleto delivery on WhatsApp,
payment webhooks to the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.config import CrmSettings
from certobot.whatsapp.graph import GraphClient
from mock_crm.boletos.delivery import run_delivery_loop
from mock_crm.payments.notify import run_notify_loop


@asynccontextmanager
async def run_background(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: CrmSettings,
    graph: GraphClient,
    http: httpx.AsyncClient | None = None,
) -> AsyncIterator[None]:
    if not settings.run_background_workers:
        yield
        return
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run_delivery_loop(sessionmaker, graph, settings, stop), name="boleto-delivery")]
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
