"""The whole product in-process: the real bot and CRM apps with their background work, real Postgres
and Redis, and a stand-in for Meta's Graph API. Conversations go through signed webhooks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from certobot.config import BotSettings
from certobot.main import create_app as create_bot
from certokit.clock import Clock
from mock_crm.main import create_app as create_crm
from tests.conftest import CRM_KEY, OP_KEY, crm_settings
from tests.fakes import FakeGraph, sign, text_webhook

SECRET = "test-app-secret"
PNID = "106540352242922"


def bot_settings(database_url: str, redis_url: str, **overrides: Any) -> BotSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "crm_base_url": "http://crm.test",
        "crm_api_key": SecretStr(CRM_KEY),
        "certobot_api_key": SecretStr(OP_KEY),
        "whatsapp_access_token": SecretStr("token"),
        "whatsapp_phone_number_id": PNID,
        "whatsapp_api_base_url": "http://graph.test/v25.0",
        "whatsapp_app_secret": SecretStr(SECRET),
        "whatsapp_verify_token": SecretStr("verify-me"),
        "certobot_model": "rules",
        "contact_hours": "mon-sun 00:00-24:00",
        "min_contact_interval_hours": 0,
        "run_background_workers": True,
        "database_warm_up": False,  # tests/whatsapp/test_hot_plans.py warms a pool on purpose
    }
    values.update(overrides)
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Stack:
    bot: httpx.AsyncClient
    crm: httpx.AsyncClient
    graph: FakeGraph
    bot_app: Any

    async def webhook(
        self, payload: dict[str, Any] | bytes, *, secret: str = SECRET, signed: bool = True
    ) -> httpx.Response:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Hub-Signature-256"] = sign(raw, secret)
        return await self.bot.post("/webhooks/whatsapp", content=raw, headers=headers)

    async def say(self, phone: str, text: str, *, wait: float = 10.0) -> list[str]:
        """The debtor writes; returns what the bot answered (texts, in order) once it settles."""
        before = len(self.graph.messages_to(phone))
        r = await self.webhook(text_webhook(phone, text))
        assert r.status_code == 200, r.text
        return await self.replies(phone, before, wait=wait)

    async def replies(self, phone: str, before: int, *, wait: float = 10.0, quiet: float = 0.4) -> list[str]:
        deadline = time.monotonic() + wait
        last, changed = before, time.monotonic()
        while time.monotonic() < deadline:
            n = len(self.graph.messages_to(phone))
            if n != last:
                last, changed = n, time.monotonic()
            if n > before and time.monotonic() - changed > quiet:
                break
            await asyncio.sleep(0.05)
        return self.graph.texts_to(phone)[before:]

    async def outcome(self, phone: str, wait: float = 8.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            r = await self.bot.get("/api/conversations", params={"phone": phone})
            items = r.json()["items"]
            if items:
                o = await self.crm.get(f"/api/negotiations/results/{items[0]['session_id']}")
                if o.status_code == 200:
                    body: dict[str, Any] = o.json()
                    return body
            await asyncio.sleep(0.1)
        return None


@asynccontextmanager
async def make_stack(
    database_url: str, redis_url: str, *, crm_seed: int = 0, clock: Clock | None = None, **bot_overrides: Any
) -> AsyncIterator[Stack]:
    graph = FakeGraph()
    crm_app = create_crm(
        crm_settings(
            database_url,
            run_background_workers=True,
            whatsapp_access_token=SecretStr("token"),
            whatsapp_phone_number_id=PNID,
            whatsapp_api_base_url="http://graph.test/v25.0",
            mock_debtors_count=crm_seed,
        ),
        graph_http=httpx.AsyncClient(transport=graph.transport),
    )
    bot_http = httpx.AsyncClient(
        mounts={"http://crm.test": httpx.ASGITransport(app=crm_app), "http://graph.test": graph.transport}
    )
    bot_app = create_bot(bot_settings(database_url, redis_url, **bot_overrides), http=bot_http, clock=clock)
    async with (
        crm_app.router.lifespan_context(crm_app),
        bot_app.router.lifespan_context(bot_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bot_app),
            base_url="http://bot.test",
            headers={"Authorization": f"Bearer {OP_KEY}"},
        ) as bot,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=crm_app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {CRM_KEY}"},
        ) as crm,
    ):
        yield Stack(bot, crm, graph, bot_app)


@pytest.fixture
async def stack(database_url: str, redis_url: str, engine: object) -> AsyncIterator[Stack]:
    async with make_stack(database_url, redis_url) as s:
        yield s
