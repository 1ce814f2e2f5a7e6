"""The bot and the CRM wired both ways in-process: the CRM's payment webhooks reach the bot's app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from certobot.main import create_app as create_bot
from certokit.clock import FixedClock
from mock_crm.main import create_app as create_crm
from tests.conftest import CRM_KEY, OP_KEY, crm_settings
from tests.e2e.conftest import PNID, Stack, bot_settings
from tests.fakes import FakeGraph


class LateASGI(httpx.AsyncBaseTransport):
    """An ASGI transport to an app built after this client (the bot and the CRM call each other)."""

    def __init__(self, app: Callable[[], Any]) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await httpx.ASGITransport(app=self.app()).handle_async_request(request)


@asynccontextmanager
async def life_stack(
    database_url: str, redis_url: str, clock: FixedClock, **bot_overrides: Any
) -> AsyncIterator[Stack]:
    graph = FakeGraph()
    apps: dict[str, Any] = {}
    crm_app = create_crm(
        crm_settings(
            database_url,
            run_background_workers=True,
            whatsapp_access_token=SecretStr("token"),
            whatsapp_phone_number_id=PNID,
            whatsapp_api_base_url="http://graph.test/v25.0",
            certobot_base_url="http://bot.test",
        ),
        graph_http=httpx.AsyncClient(transport=graph.transport),
        bot_http=httpx.AsyncClient(transport=LateASGI(lambda: apps["bot"])),
    )
    bot_http = httpx.AsyncClient(
        mounts={"http://crm.test": httpx.ASGITransport(app=crm_app), "http://graph.test": graph.transport}
    )
    apps["bot"] = create_bot(bot_settings(database_url, redis_url, **bot_overrides), http=bot_http, clock=clock)
    async with (
        crm_app.router.lifespan_context(crm_app),
        apps["bot"].router.lifespan_context(apps["bot"]),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apps["bot"]),
            base_url="http://bot.test",
            headers={"Authorization": f"Bearer {OP_KEY}"},
        ) as bot,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=crm_app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {CRM_KEY}"},
        ) as crm,
    ):
        crm_app.state.clock = clock
        yield Stack(bot, crm, graph, apps["bot"])


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
async def life(database_url: str, redis_url: str, engine: object, clock: FixedClock) -> AsyncIterator[Stack]:
    async with life_stack(database_url, redis_url, clock) as s:
        yield s
