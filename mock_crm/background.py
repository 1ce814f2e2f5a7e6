"""Background work of the CRM, started and stopped with its lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.config import CrmSettings

Job = Callable[[async_sessionmaker[AsyncSession], CrmSettings], Coroutine[Any, Any, None]]

# Long-running loops (e.g. boleto delivery) register here; each runs until cancelled.
JOBS: list[Job] = []


@asynccontextmanager
async def run_background(sessionmaker: async_sessionmaker[AsyncSession], settings: CrmSettings) -> AsyncIterator[None]:
    if not settings.run_background_workers:
        yield
        return
    tasks = [asyncio.create_task(job(sessionmaker, settings)) for job in JOBS]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
