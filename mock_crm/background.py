"""Background work of the CRM, started and stopped with its lifespan: boleto delivery on WhatsApp."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.whatsapp.channel import ChannelSender
from mock_crm.boletos.delivery import run_delivery_loop
from mock_crm.settings import CrmSettings


@asynccontextmanager
async def run_background(
    sessionmaker: async_sessionmaker[AsyncSession], settings: CrmSettings, provider: ChannelSender
) -> AsyncIterator[None]:
    if not settings.run_background_workers:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_delivery_loop(sessionmaker, provider, settings, stop), name="boleto-delivery")
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
