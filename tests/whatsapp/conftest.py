"""Fixtures of the WhatsApp tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.whatsapp.pipeline import Pipeline
from tests.e2e.conftest import Stack, make_stack


@pytest.fixture
async def quiet_stack(database_url: str, redis_url: str, engine: AsyncEngine) -> AsyncIterator[tuple[Stack, Pipeline]]:
    """Both services with no background worker: the test drives the worker's passes itself."""
    async with make_stack(database_url, redis_url, run_background_workers=False) as stack:
        pipeline = Pipeline(stack.bot_app.state.resources, stack.bot_app.state.turn_handler)
        await pipeline.ensure_group()
        yield stack, pipeline
