"""Faults: a worker that dies holding messages, Redis coming back empty, hostile strings."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.whatsapp.pipeline import GROUP, STREAM, Pipeline, conversation_lock
from tests.fakes import text_webhook
from tests.whatsapp.test_webhook import Recorder, _bot, wait_for


async def test_messages_held_by_a_dead_worker_are_claimed_by_another(
    database_url: str, redis_url: str, engine: AsyncEngine
) -> None:
    recorder = Recorder()
    async for bot in _bot(database_url, redis_url, recorder, run_background_workers=False):
        for i in range(5):
            body = text_webhook(f"55119876500{i:02d}", "oi", wamid=f"wamid.DEAD{i}")
            assert (await bot.post(json.dumps(body).encode())).status_code == 200
        resources = bot.app.state.resources
        dead = Pipeline(resources, recorder)
        await dead.ensure_group()
        # The worker reads the entries and is killed (-9) before acknowledging any of them.
        got: Any = await resources.redis.xreadgroup(GROUP, "dead-worker", {STREAM: ">"}, count=10)
        assert len(got[0][1]) == 5
        assert recorder.seen == []
        survivor = Pipeline(resources, recorder, claim_idle_ms=200)
        stop = asyncio.Event()
        task = asyncio.create_task(survivor.consume(stop))
        await wait_for(lambda: len(recorder.seen) == 5, timeout=15)
        for _ in range(100):  # acknowledged once each phone's turn (and its replies) is done
            if (await resources.redis.xpending(STREAM, GROUP))["pending"] == 0:
                break
            await asyncio.sleep(0.05)
        stop.set()
        task.cancel()
        assert (await resources.redis.xpending(STREAM, GROUP))["pending"] == 0
        assert len(recorder.seen) == 5  # claimed, not processed twice


async def test_redis_restarted_empty_loses_nothing(database_url: str, redis_url: str, engine: AsyncEngine) -> None:
    recorder = Recorder()
    async for bot in _bot(database_url, redis_url, recorder):
        assert (await bot.post(json.dumps(text_webhook("5511987650011", "antes")).encode())).status_code == 200
        await wait_for(lambda: len(recorder.seen) == 1)
        await bot.app.state.resources.redis.flushdb()  # the stream, the group and the locks are gone
        assert (await bot.post(json.dumps(text_webhook("5511987650011", "depois")).encode())).status_code == 200
        await wait_for(lambda: len(recorder.seen) == 2, timeout=20)
    assert [m.text for m in recorder.seen] == ["antes", "depois"]


async def test_injection_strings_are_stored_and_returned_as_text(crm: httpx.AsyncClient) -> None:
    from tests.factories import debtor_payload

    for name in [
        "Robert'); DROP TABLE crm_debtors;--",
        "<script>alert('x')</script> Maria",
        'Zé "O\'Brien" \\ %s %(x)s',
    ]:
        body = debtor_payload(name=name)
        r = await crm.post("/api/debtors", json=body)
        assert r.status_code == 201
        assert r.json()["name"] == name
        assert (await crm.get(f"/api/debtors/{body['cpf']}")).json()["name"] == name
    assert (await crm.get("/api/debtors")).json()["total"] == 3


async def test_a_slow_turn_keeps_its_conversation_lock_and_a_dead_one_lets_go(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        async with conversation_lock(redis, "551187650001", hold_seconds=0.6):
            await asyncio.sleep(1.5)  # longer than the lock lives: renewed meanwhile
            with pytest.raises(TimeoutError):
                async with conversation_lock(redis, "551187650001", hold_seconds=0.3):
                    pytest.fail("a second holder got the lock of a conversation in use")
        # A holder that vanished without releasing (kill -9) stops renewing: the lock expires.
        await redis.set("certobot:lock:conv:551187650002", "dead-token", px=500)
        acquired = False
        async with conversation_lock(redis, "551187650002", hold_seconds=2):
            acquired = True
        assert acquired
    finally:
        await redis.aclose()
