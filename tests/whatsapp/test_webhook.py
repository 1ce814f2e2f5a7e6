"""The webhook as Meta drives it: verification, signatures, every payload kind, durability, order."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.main import create_app
from certobot.whatsapp.models import InboundEvent, Message
from certobot.whatsapp.schemas import InboundMessage
from tests.e2e.conftest import SECRET, bot_settings
from tests.fakes import sign, text_webhook

META = Path(__file__).parent.parent / "data" / "meta"


class Recorder:
    """A turn handler that records what it saw and whether two turns ever overlapped."""

    def __init__(self, delay: float = 0.0) -> None:
        self.seen: list[InboundMessage] = []
        self.active: dict[str, int] = {}
        self.overlaps = 0
        self.delay = delay

    async def __call__(self, session: AsyncSession, msg: InboundMessage, /) -> None:
        self.active[msg.phone_key] = self.active.get(msg.phone_key, 0) + 1
        if self.active[msg.phone_key] > 1:
            self.overlaps += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        self.seen.append(msg)
        self.active[msg.phone_key] -= 1


async def wait_for(cond: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


class Bot:
    def __init__(self, app: Any, client: httpx.AsyncClient, recorder: Recorder) -> None:
        self.app, self.client, self.recorder = app, client, recorder

    async def post(self, raw: bytes, *, secret: str = SECRET, signature: str | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature or sign(raw, secret)}
        return await self.client.post("/webhooks/whatsapp", content=raw, headers=headers)


async def _bot(database_url: str, redis_url: str, recorder: Recorder, **overrides: Any) -> AsyncIterator[Bot]:
    app = create_app(bot_settings(database_url, redis_url, **overrides), turn_handler=recorder)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test") as client,
    ):
        yield Bot(app, client, recorder)


@pytest.fixture
async def bot(database_url: str, redis_url: str, engine: AsyncEngine) -> AsyncIterator[Bot]:
    async for b in _bot(database_url, redis_url, Recorder()):
        yield b


class TestVerification:
    async def test_challenge_echoed_as_plain_text(self, bot: Bot) -> None:
        r = await bot.client.get(
            "/webhooks/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
        )
        assert r.status_code == 200
        assert r.text == "1158201444"
        assert r.headers["content-type"].startswith("text/plain")

    async def test_wrong_token_is_403(self, bot: Bot) -> None:
        r = await bot.client.get(
            "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
        )
        assert r.status_code == 403
        assert r.json()["detail"] == "Token de verificação inválido."


class TestSignatureAndBadBodies:
    async def test_wrong_signature_is_401(self, bot: Bot) -> None:
        raw = (META / "text.json").read_bytes()
        r = await bot.post(raw, secret="another-secret")
        assert r.status_code == 401
        assert "X-Hub-Signature-256" in r.json()["detail"]
        r = await bot.client.post("/webhooks/whatsapp", content=raw)
        assert r.status_code == 401

    async def test_signature_is_over_raw_bytes_with_accents(self, bot: Bot) -> None:
        raw = json.dumps(text_webhook("5511987654321", "João, tô sem grana"), ensure_ascii=False).encode()
        assert (await bot.post(raw)).status_code == 200
        reencoded = json.dumps(json.loads(raw)).encode()  # what a re-serialising server would check
        assert (await bot.post(raw, signature=sign(reencoded, SECRET))).status_code == 401

    @pytest.mark.parametrize(
        "raw",
        [
            b'{"object": "whatsapp_business_account", "entry": [{"id"',
            b"not json at all",
            b"[1, 2",
            b'{"object": "\xff"}',  # not UTF-8
            b"[1, 2]",  # JSON, but not an object
            b'{"entry": [{"changes": [{"value": {"messages": [{"from": 5511, "id": "x", "timestamp": "1"}]}}]}]}',
        ],
    )
    async def test_truncated_or_non_json_is_400(self, bot: Bot, raw: bytes) -> None:
        r = await bot.post(raw)
        assert r.status_code == 400
        assert r.json()["detail"].startswith("Corpo do webhook inválido")

    async def test_oversize_is_413(self, bot: Bot) -> None:
        raw = b'{"pad": "' + b"x" * (3 * 1024 * 1024 + 10) + b'"}'
        assert (await bot.post(raw)).status_code == 413

    async def test_redis_down_still_stores_and_the_sweeper_announces(self, bot: Bot) -> None:
        raw = json.dumps(text_webhook("5511987650077", "oi")).encode()
        res = bot.app.state.resources
        healthy, res.redis = res.redis, Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
        try:
            # Postgres took the message first (one statement, the flood count inside it): the lost
            # announcement is the sweeper's to make, so Meta need not send it again.
            down = await bot.post(raw)
        finally:
            await res.redis.aclose()
            res.redis = healthy
        assert down.status_code == 200
        assert (await bot.post(raw)).status_code == 200  # a redelivery anyway: a no-op
        await wait_for(lambda: len(bot.recorder.seen) == 1, timeout=20)
        await asyncio.sleep(0.5)
        assert len(bot.recorder.seen) == 1

    async def test_postgres_lost_mid_insert_is_a_503_and_metas_retry_is_stored_once(
        self, bot: Bot, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        raw = json.dumps(text_webhook("5511987650078", "oi")).encode()
        real = asyncpg.Connection.fetch

        async def lost(*_: Any, **__: Any) -> Any:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

        monkeypatch.setattr(asyncpg.Connection, "fetch", lost)
        down = await bot.post(raw)
        monkeypatch.setattr(asyncpg.Connection, "fetch", real)
        # Not a 500: Meta reads "try again" and does; the broken connection is not handed out again.
        assert down.status_code == 503
        assert down.json()["detail"].startswith("Serviço temporariamente indisponível")
        assert down.headers["Retry-After"] == "5"
        assert (await bot.post(raw)).status_code == 200
        await wait_for(lambda: len(bot.recorder.seen) == 1, timeout=20)
        assert bot.recorder.seen[0].text == "oi"


class TestMetaPayloads:
    @pytest.mark.parametrize(
        ("name", "kind", "text", "payload"),
        [
            ("text.json", "text", "Hello this is an answer", None),
            ("button.json", "button", "No", "No-Button-Payload"),
            ("interactive_list.json", "interactive", "list_reply_title", "list_reply_id"),
            ("interactive_button.json", "interactive", "button-text", "unique-button-identifier-here"),
            ("image.json", "image", None, None),
            ("reaction.json", "reaction", None, None),
            ("location.json", "location", None, None),
            ("unsupported.json", "unsupported", None, None),
        ],
    )
    async def test_each_kind_parsed_and_processed_once(
        self, bot: Bot, name: str, kind: str, text: str | None, payload: str | None
    ) -> None:
        raw = (META / name).read_bytes()
        r = await bot.post(raw)
        assert r.status_code == 200
        await wait_for(lambda: len(bot.recorder.seen) == 1)
        msg = bot.recorder.seen[0]
        assert msg.kind == kind
        assert msg.text == text
        assert msg.payload == payload
        assert msg.wa_id == "16315551234"
        if name in ("button.json", "interactive_button.json"):
            assert msg.context_id == "wamid.gBGGFmkiWVVPAgkgQkwi7IORac7"

    @pytest.mark.parametrize("name", ["status_sent.json", "system_errors.json"])
    async def test_statuses_and_system_errors_are_accepted(self, bot: Bot, name: str) -> None:
        assert (await bot.post((META / name).read_bytes())).status_code == 200

    async def test_unknown_kinds_and_fields_are_ignored(self, bot: Bot) -> None:
        body = json.loads((META / "text.json").read_bytes())
        body["entry"][0]["changes"][0]["value"]["messages"][0].update(type="hologram", hologram={"x": 1}, novo=True)
        body["entry"][0]["changes"].append({"field": "account_update", "value": {"something": "new"}})
        assert (await bot.post(json.dumps(body).encode())).status_code == 200


class TestStatuses:
    async def test_statuses_move_a_message_forward_only(self, bot: Bot, db: AsyncSession) -> None:
        wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA"
        db.add(Message(direction="out", phone="+16505551234", wamid=wamid, kind="text", body="oi", status="sent"))
        await db.commit()

        async def status() -> str:
            await db.rollback()
            return (await db.scalar(select(Message.status).where(Message.wamid == wamid))) or ""

        for name, expected in [
            ("status_delivered.json", "delivered"),
            ("status_read.json", "read"),
            ("status_delivered.json", "read"),
            ("status_sent.json", "read"),
        ]:
            assert (await bot.post((META / name).read_bytes())).status_code == 200
            assert await status() == expected
        assert (await bot.post((META / "status_failed.json").read_bytes())).status_code == 200
        assert await status() == "failed"
        error = await db.scalar(select(Message.error).where(Message.wamid == wamid))
        assert error is not None
        assert error["errors"][0]["code"] == 131049


class TestDurability:
    async def test_event_is_committed_when_200_arrives(
        self, database_url: str, redis_url: str, engine: AsyncEngine
    ) -> None:
        async for bot in _bot(database_url, redis_url, Recorder(), run_background_workers=False):
            r = await bot.post((META / "text.json").read_bytes())
            assert r.status_code == 200
            async with engine.connect() as other:
                n = await other.scalar(
                    text("SELECT count(*) FROM inbound_events WHERE wamid = 'wamid.ABGGFlCGg0cvAgo-sJQh43L5Pe4W'")
                )
            assert n == 1

    async def test_redelivery_processed_once_also_across_restart(
        self, database_url: str, redis_url: str, engine: AsyncEngine, db: AsyncSession
    ) -> None:
        raw = (META / "text.json").read_bytes()
        first = Recorder()
        async for bot in _bot(database_url, redis_url, first):
            assert (await bot.post(raw)).status_code == 200
            assert (await bot.post(raw)).status_code == 200
            await wait_for(lambda: len(first.seen) == 1)
            await asyncio.sleep(0.3)
        second = Recorder()
        async for bot in _bot(database_url, redis_url, second):  # a new process, same database
            assert (await bot.post(raw)).status_code == 200
            await asyncio.sleep(0.5)
        assert len(first.seen) == 1
        assert second.seen == []
        assert await db.scalar(select(func.count()).select_from(InboundEvent)) == 1

    async def test_stored_but_never_announced_is_swept_up(
        self, database_url: str, redis_url: str, engine: AsyncEngine
    ) -> None:
        # A crash between the commit and the XADD: the event is in Postgres only.
        async for bot in _bot(database_url, redis_url, Recorder(), run_background_workers=False):
            assert (await bot.post((META / "text.json").read_bytes())).status_code == 200
            await bot.app.state.resources.redis.delete("certobot:inbound")
        later = Recorder()
        async for _bot_again in _bot(database_url, redis_url, later):
            await wait_for(lambda: len(later.seen) == 1, timeout=15)


class TestOrdering:
    async def test_200_messages_from_one_phone_in_order_one_at_a_time(
        self, database_url: str, redis_url: str, engine: AsyncEngine
    ) -> None:
        recorder = Recorder(delay=0.002)
        base = int(time.time()) - 1000
        bodies = [
            json.dumps(text_webhook("5511987654321", f"m{i}", wamid=f"wamid.ORDER{i:03d}", ts=base + i)).encode()
            for i in range(200)
        ]
        # Two API processes with their own consumers, sharing Postgres and Redis.
        async for one in _bot(database_url, redis_url, recorder, flood_limit_per_minute=1000):
            async for two in _bot(database_url, redis_url, recorder, flood_limit_per_minute=1000):
                answers = await asyncio.gather(
                    *((one if i % 2 else two).post(b) for i, b in enumerate(reversed(bodies)))
                )
                assert {a.status_code for a in answers} == {200}
                await wait_for(lambda: len(recorder.seen) == 200, timeout=60)
        texts = [m.text for m in recorder.seen]
        # Posted in reverse, concurrently; processed in WhatsApp's order whenever they were already stored.
        assert len(set(texts)) == 200
        assert recorder.overlaps == 0
        inversions = sum(1 for a, b in zip(recorder.seen, recorder.seen[1:], strict=False) if b.timestamp < a.timestamp)
        assert inversions <= 5

    async def test_accepted_burst_is_processed_in_whatsapp_order(
        self, database_url: str, redis_url: str, engine: AsyncEngine
    ) -> None:
        base = int(time.time()) - 1000
        bodies = [
            json.dumps(text_webhook("5511987654322", f"n{i}", wamid=f"wamid.BURST{i:03d}", ts=base + i)).encode()
            for i in range(200)
        ]
        async for front in _bot(
            database_url, redis_url, Recorder(), run_background_workers=False, flood_limit_per_minute=1000
        ):
            answers = await asyncio.gather(*(front.post(b) for b in reversed(bodies)))
            assert {a.status_code for a in answers} == {200}
        recorder = Recorder()
        async for _one in _bot(database_url, redis_url, recorder):
            async for _two in _bot(database_url, redis_url, recorder):
                await wait_for(lambda: len(recorder.seen) == 200, timeout=60)
        assert [m.text for m in recorder.seen] == [f"n{i}" for i in range(200)]
        assert recorder.overlaps == 0


class TestFlood:
    async def test_one_phone_flooding_is_throttled_without_hurting_others(
        self, database_url: str, redis_url: str, engine: AsyncEngine, db: AsyncSession
    ) -> None:
        recorder = Recorder()
        async for bot in _bot(database_url, redis_url, recorder, flood_limit_per_minute=10):
            base = int(time.time()) - 100
            flood = [
                json.dumps(
                    text_webhook("5511987650999", f"spam {i}", wamid=f"wamid.FLOOD{i:02d}", ts=base + i)
                ).encode()
                for i in range(25)
            ]
            answers = await asyncio.gather(*(bot.post(b) for b in flood))
            assert {a.status_code for a in answers} == {200}  # accepted: Meta must not retry them
            assert (
                await bot.post(json.dumps(text_webhook("5521987650998", "oi, tudo bem?")).encode())
            ).status_code == 200
            await wait_for(lambda: any(m.phone_key == "552187650998" for m in recorder.seen))
            await asyncio.sleep(0.5)
        spam = [m for m in recorder.seen if m.phone_key == "551187650999"]
        assert len(spam) == 10
        assert await db.scalar(select(func.count()).select_from(InboundEvent)) == 26  # all kept, deduplicated
