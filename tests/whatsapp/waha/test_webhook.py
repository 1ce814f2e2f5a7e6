"""`POST /webhooks/waha` as WAHA drives it: HMAC, WAHA's event kinds, redeliveries, own echoes,
acks moving the stored message, the session's health on /ready."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.config import BotSettings, ConfigError, load_settings
from certobot.main import create_app
from certobot.whatsapp.models import InboundEvent, Message
from certokit.phones import phone_key
from tests.conftest import OP_KEY
from tests.e2e.conftest import bot_settings
from tests.whatsapp.test_webhook import Recorder, wait_for
from tests.whatsapp.waha.conftest import HMAC_KEY, WAHA_URL, waha_overrides
from tests.whatsapp.waha.fake import FakeWaha, ack_event, load, message_event, waha_sign


class WahaBot:
    def __init__(self, client: httpx.AsyncClient, recorder: Recorder, waha: FakeWaha) -> None:
        self.client, self.recorder, self.waha = client, recorder, waha

    async def post(
        self, body: dict[str, Any] | bytes, *, headers: dict[str, str] | None = None, key: str = HMAC_KEY
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        if headers is None:
            headers = {"X-Webhook-Hmac": waha_sign(raw, key), "X-Webhook-Hmac-Algorithm": "sha512"}
        return await self.client.post(
            "/webhooks/waha", content=raw, headers={"Content-Type": "application/json", **headers}
        )


BotFactory = Callable[..., AbstractAsyncContextManager[WahaBot]]


@pytest.fixture
def make_bot(database_url: str, redis_url: str, engine: AsyncEngine) -> BotFactory:
    @asynccontextmanager
    async def make(waha: FakeWaha | None = None, **overrides: Any) -> AsyncIterator[WahaBot]:
        waha = waha or FakeWaha()
        recorder = Recorder()
        # The bot's settings name the test key; a FakeWaha built with another key refuses the bot.
        values = {} if overrides.get("whatsapp_provider") == "meta" else waha_overrides(FakeWaha())
        values.update(overrides)
        app = create_app(
            bot_settings(database_url, redis_url, **values),
            turn_handler=recorder,
            http=httpx.AsyncClient(mounts={WAHA_URL: waha.transport}),
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test") as client,
        ):
            yield WahaBot(client, recorder, waha)

    return make


@pytest.fixture
async def bot(make_bot: BotFactory) -> AsyncIterator[WahaBot]:
    async with make_bot() as b:
        yield b


async def inbound_count(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(InboundEvent)) or 0


class TestSignature:
    async def test_missing_signature_is_401_and_nothing_stored(self, bot: WahaBot, db: AsyncSession) -> None:
        r = await bot.post(message_event("5511987650301", "oi"), headers={})
        assert r.status_code == 401
        assert r.json()["detail"] == "Assinatura X-Webhook-Hmac ausente ou inválida."
        assert await inbound_count(db) == 0

    async def test_signature_with_another_key_is_401(self, bot: WahaBot, db: AsyncSession) -> None:
        r = await bot.post(message_event("5511987650301", "oi"), key="not-the-key")
        assert r.status_code == 401
        assert await inbound_count(db) == 0

    async def test_signature_of_other_bytes_is_401(self, bot: WahaBot) -> None:
        signed = json.dumps(message_event("5511987650301", "oi")).encode()
        tampered = signed.replace(b'"oi"', b'"PARAR"')
        headers = {"X-Webhook-Hmac": waha_sign(signed, HMAC_KEY), "X-Webhook-Hmac-Algorithm": "sha512"}
        assert (await bot.post(tampered, headers=headers)).status_code == 401

    async def test_other_algorithm_is_401(self, bot: WahaBot) -> None:
        raw = json.dumps(message_event("5511987650301", "oi")).encode()
        headers = {"X-Webhook-Hmac": waha_sign(raw, HMAC_KEY), "X-Webhook-Hmac-Algorithm": "sha256"}
        assert (await bot.post(raw, headers=headers)).status_code == 401

    async def test_production_refuses_to_start_without_the_hmac_key(self) -> None:
        with pytest.raises(ConfigError, match="WAHA_WEBHOOK_HMAC_KEY"):
            load_settings(
                BotSettings,
                _env_file=None,
                environment="production",
                crm_api_key=SecretStr("9f2c4e7a1b3d5f60718293a4b5c6d7e8"),
                crm_webhook_secret=SecretStr("1e2d3c4b5a69788796a5b4c3d2e1f0a9"),
                whatsapp_provider="waha",
                waha_api_key=SecretStr("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
            )

    async def test_not_json_is_400_in_portuguese(self, bot: WahaBot) -> None:
        r = await bot.post(b"<xml/>")
        assert r.status_code == 400
        assert r.json()["detail"] == "Corpo do webhook inválido: esperado um evento JSON do WAHA."


class TestMessages:
    async def test_signed_message_reaches_the_conversation_with_the_phone_key(self, bot: WahaBot) -> None:
        r = await bot.post(load("message"))
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "messages": 1, "statuses": 0}
        await wait_for(lambda: len(bot.recorder.seen) == 1)
        seen = bot.recorder.seen[0]
        assert (seen.text, seen.phone, seen.phone_key) == ("oi", "+5511987650101", phone_key("+5511987650101"))
        assert seen.wamid == "false_5511987650101@c.us_3EB0C767D26A1D8AA0C4"

    async def test_old_number_without_ninth_digit_is_the_same_debtor(self, bot: WahaBot) -> None:
        await bot.post(load("message_old_number"))
        await wait_for(lambda: len(bot.recorder.seen) == 1)
        seen = bot.recorder.seen[0]
        assert seen.phone == "+5511987650102"  # as the CRM stores it
        assert seen.phone_key == phone_key("+5511987650102")
        assert seen.wa_id == "551187650102"  # replies go to the chat WhatsApp really has

    async def test_message_then_message_any_then_redelivery_is_processed_once(
        self, bot: WahaBot, db: AsyncSession
    ) -> None:
        event = message_event("5511987650303", "quero negociar", msg_id="3EB0DUPLICATE")
        for kind in ("message", "message.any", "message"):
            r = await bot.post({**event, "event": kind})
            assert r.status_code == 200
        await bot.post(message_event("5511987650303", "depois"))
        await wait_for(lambda: [m.text for m in bot.recorder.seen][-1:] == ["depois"])
        assert [m.text for m in bot.recorder.seen] == ["quero negociar", "depois"]
        assert await inbound_count(db) == 2

    async def test_own_messages_echoed_back_are_ignored(self, bot: WahaBot, db: AsyncSession) -> None:
        own = load("message_own")
        for kind in ("message", "message.any"):
            r = await bot.post({**own, "event": kind})
            assert r.json() == {"status": "ok", "messages": 0, "statuses": 0}
        await bot.post(message_event("5511987650304", "oi"))
        await wait_for(lambda: len(bot.recorder.seen) == 1)
        assert bot.recorder.seen[0].text == "oi"
        assert await inbound_count(db) == 1

    async def test_events_of_another_session_are_not_ours(self, bot: WahaBot, db: AsyncSession) -> None:
        r = await bot.post({**message_event("5511987650305", "oi"), "session": "outra"})
        assert r.json()["messages"] == 0
        assert await inbound_count(db) == 0


class TestAcks:
    async def _stored(self, db: AsyncSession, wamid: str) -> Message:
        db.add(Message(direction="out", author="bot", phone="+5511987650101", wamid=wamid, kind="text", status="sent"))
        await db.commit()
        row = await db.scalar(select(Message).where(Message.wamid == wamid))
        assert row is not None
        return row

    async def _status(self, db: AsyncSession, wamid: str) -> str:
        db.expire_all()
        return str(await db.scalar(select(Message.status).where(Message.wamid == wamid)))

    async def test_delivered_then_read_and_a_late_delivered_does_not_go_back(
        self, bot: WahaBot, db: AsyncSession
    ) -> None:
        wamid = load("message_ack_read")["payload"]["id"]
        await self._stored(db, wamid)
        assert (await bot.post(load("message_ack_delivered"))).json()["statuses"] == 1
        assert await self._status(db, wamid) == "delivered"
        await bot.post(load("message_ack_read"))
        assert await self._status(db, wamid) == "read"
        again = await bot.post(load("message_ack_delivered"))
        assert again.json()["statuses"] == 0  # the same ack twice is one
        assert await self._status(db, wamid) == "read"

    async def test_error_ack_marks_the_message_failed(self, bot: WahaBot, db: AsyncSession) -> None:
        wamid = "true_5511987650101@c.us_3EB0FAILED"
        await self._stored(db, wamid)
        await bot.post(ack_event(wamid, -1, "ERROR"))
        assert await self._status(db, wamid) == "failed"


class TestSessionHealth:
    async def test_ready_shows_waha_asking_for_the_qr_code(self, make_bot: BotFactory) -> None:
        async with make_bot(FakeWaha(status="SCAN_QR_CODE")) as b:
            ready = await b.client.get("/ready")
            assert ready.json()["whatsapp_waha"] == "SCAN_QR_CODE"

    async def test_ready_falls_back_to_the_last_session_status_webhook(self, make_bot: BotFactory) -> None:
        # WAHA refuses our key for the status call: the last `session.status` event is what we know.
        async with make_bot(FakeWaha(api_key="another-key")) as b:
            assert (await b.post(load("session_status_scan_qr"))).status_code == 200
            assert (await b.client.get("/ready")).json()["whatsapp_waha"] == "SCAN_QR_CODE"
            await b.post(load("session_status_working"))
            assert (await b.client.get("/ready")).json()["whatsapp_waha"] == "WORKING"

    async def test_console_sees_the_session_waiting_for_its_qr_code(self, make_bot: BotFactory) -> None:
        async with make_bot(FakeWaha(status="SCAN_QR_CODE")) as b:
            assert (await b.client.get("/api/whatsapp/channel")).status_code == 401
            r = await b.client.get("/api/whatsapp/channel", headers={"Authorization": f"Bearer {OP_KEY}"})
            assert r.json() == {"provider": "waha", "session": "default", "status": "SCAN_QR_CODE", "working": False}

    async def test_waha_webhook_is_404_when_the_provider_is_meta(self, make_bot: BotFactory) -> None:
        async with make_bot(whatsapp_provider="meta") as b:
            r = await b.post(load("message"))
            assert r.status_code == 404
            assert "WHATSAPP_PROVIDER" in r.json()["detail"]
            assert "whatsapp_waha" not in (await b.client.get("/ready")).json()
