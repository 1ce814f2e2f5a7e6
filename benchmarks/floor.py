"""The floor: the least a webhook-to-reply service must do per message, to compare ours against.

The signature check, one Redis round trip, one Postgres insert, one outgoing HTTP call to the Graph
API per message, and nothing else: no dedupe, no ordering, no negotiation. `benchmarks/loadtest.py --floor` runs the same
load against it, so our cost per message can be read as a ratio to this one, on the same machine.

    uvicorn benchmarks.floor:app   (DATABASE_URL, REDIS_URL, WHATSAPP_API_BASE_URL from the environment;
                                    FLOOR_REPLIES=0: accept only, as `benchmarks/webhook.py --app floor`)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import asyncpg
from fastapi import FastAPI, HTTPException, Request
from redis.asyncio import Redis

EXPECT = ["3 primeiros", "Identidade confirmada", "Posso fechar", "acordo feito"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    app.state.pg = await asyncpg.create_pool(dsn, min_size=5, max_size=20)
    await app.state.pg.execute("CREATE TABLE IF NOT EXISTS floor_messages (id bigserial primary key, body jsonb)")
    app.state.redis = Redis.from_url(os.environ["REDIS_URL"])
    # aiohttp, as the bot's own sends: httpx's default client spends CPU on its pool's bookkeeping
    # in proportion to the requests waiting on it, and under a burst the floor paid more for that
    # than for everything else it does (accept p50 over a second on a slow host).
    app.state.http = aiohttp.ClientSession(os.environ["WHATSAPP_API_BASE_URL"].rstrip("/") + "/")
    app.state.tasks = set()
    app.state.secret = os.environ.get("WHATSAPP_APP_SECRET", "").encode()
    yield
    await app.state.http.close()
    await app.state.redis.aclose()
    await app.state.pg.close()


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/webhooks/whatsapp")
async def webhook(request: Request) -> dict[str, str]:
    raw = await request.body()
    mac = "sha256=" + hmac.new(request.app.state.secret, raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, request.headers.get("x-hub-signature-256", "")):
        raise HTTPException(401, "Assinatura inválida.")
    await request.app.state.pg.execute("INSERT INTO floor_messages (body) VALUES ($1::jsonb)", raw.decode())
    msg: dict[str, Any] = (await request.json())["entry"][0]["changes"][0]["value"]["messages"][0]
    turn = await request.app.state.redis.incr(f"floor:{msg['from']}")
    if os.environ.get("FLOOR_REPLIES", "1") == "0":
        return {"status": "ok"}  # acceptance alone (benchmarks/webhook.py --app floor)

    async def reply() -> None:
        # The answers go out after the 200, as ours do; the texts only have to match the script,
        # and the agreement turn sends two messages, as ours does.
        step = (int(turn) - 1) % len(EXPECT)
        for _ in range(2 if step == len(EXPECT) - 1 else 1):
            body = {"messaging_product": "whatsapp", "to": msg["from"], "type": "text", "text": {"body": EXPECT[step]}}
            async with request.app.state.http.post("106540352242922/messages", json=body) as answer:
                await answer.read()

    task = asyncio.create_task(reply())
    request.app.state.tasks.add(task)
    task.add_done_callback(request.app.state.tasks.discard)
    return {"status": "ok"}
