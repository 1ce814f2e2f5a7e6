"""The whole product on WAHA: the real bot and CRM apps (WHATSAPP_PROVIDER=waha) with their
background work, real Postgres and Redis, and `FakeWaha` where the WAHA server would be."""

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

from certobot.main import create_app as create_bot
from mock_crm.main import create_app as create_crm
from tests.conftest import CRM_KEY, OP_KEY, crm_settings
from tests.e2e.conftest import bot_settings
from tests.whatsapp.waha.fake import FakeWaha, message_event, waha_sign

HMAC_KEY = "waha-hmac-test-key"
WAHA_URL = "http://waha.test"


def waha_overrides(waha: FakeWaha, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "whatsapp_provider": "waha",
        "waha_base_url": WAHA_URL,
        "waha_api_key": SecretStr(waha.api_key),
        "waha_session": waha.session,
        "waha_webhook_hmac_key": SecretStr(HMAC_KEY),
        "waha_send_delay_min_seconds": 0,
        "waha_send_delay_max_seconds": 0,
        "waha_openings_per_minute": 60,
    }
    values.update(extra)
    return values


@dataclass
class WahaStack:
    bot: httpx.AsyncClient
    crm: httpx.AsyncClient
    waha: FakeWaha
    bot_app: Any

    async def webhook(
        self, payload: dict[str, Any] | bytes, *, key: str = HMAC_KEY, signed: bool = True
    ) -> httpx.Response:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Webhook-Hmac"] = waha_sign(raw, key)
            headers["X-Webhook-Hmac-Algorithm"] = "sha512"
        return await self.bot.post("/webhooks/waha", content=raw, headers=headers)

    async def say(self, phone: str, text: str, *, wait: float = 10.0) -> list[str]:
        before = len(self.waha.to(phone))
        r = await self.webhook(message_event(phone, text))
        assert r.status_code == 200, r.text
        return await self.replies(phone, before, wait=wait)

    async def replies(self, phone: str, before: int, *, wait: float = 10.0, quiet: float = 0.4) -> list[str]:
        deadline = time.monotonic() + wait
        last, changed = before, time.monotonic()
        while time.monotonic() < deadline:
            n = len(self.waha.to(phone))
            if n != last:
                last, changed = n, time.monotonic()
            if n > before and time.monotonic() - changed > quiet:
                break
            await asyncio.sleep(0.05)
        return self.waha.texts_to(phone)[before:]


@asynccontextmanager
async def make_waha_stack(
    database_url: str, redis_url: str, waha: FakeWaha | None = None, **bot_overrides: Any
) -> AsyncIterator[WahaStack]:
    waha = waha or FakeWaha()
    crm_app = create_crm(
        crm_settings(
            database_url,
            run_background_workers=True,
            whatsapp_provider="waha",
            waha_base_url=WAHA_URL,
            waha_api_key=SecretStr(waha.api_key),
            waha_session=waha.session,
        ),
        graph_http=httpx.AsyncClient(transport=waha.transport),
    )
    bot_http = httpx.AsyncClient(
        mounts={"http://crm.test": httpx.ASGITransport(app=crm_app), f"{WAHA_URL}": waha.transport}
    )
    settings = bot_settings(database_url, redis_url, **waha_overrides(waha, **bot_overrides))
    bot_app = create_bot(settings, http=bot_http)
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
        yield WahaStack(bot, crm, waha, bot_app)


@pytest.fixture
async def waha_stack(database_url: str, redis_url: str, engine: object) -> AsyncIterator[WahaStack]:
    async with make_waha_stack(database_url, redis_url) as s:
        yield s
