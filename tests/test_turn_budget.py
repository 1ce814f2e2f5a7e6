"""What one inbound message costs, webhook included: Postgres and Redis round trips, counted in CI.

Whole conversations go through the signed Meta webhook and the worker with the offline engine —
greeting, the CPF digits, negotiation, "sim" (an agreement), and a refusal — and every round trip
to the bot's Postgres (statements, BEGIN and COMMIT as asyncpg sends them) and Redis (a pipeline
once; a Lua script once, the commands inside scripts counted apart, from MONITOR) is counted.

Counted per inbound message: the webhook (store the event, flood counter, announce), the worker's
stream read, the turn (lock + session in one script, one read statement, one write statement,
session + unlock + XACK in one script) and the CRM lookups the turn makes. Counted apart, and said
so: the send side — each reply sent from memory after the commit and recorded by its own statement
(one Postgres statement and one Redis rate-limit script per reply). The worker's idle polling is a
cost per second, not per message, and is not driven here (the test reads the stream itself).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.negotiation.models import Conversation
from certobot.whatsapp.pipeline import Pipeline
from certobot.whatsapp.sender import Sender
from tests.counting import counting
from tests.e2e.conftest import make_stack
from tests.factories import create_debtor
from tests.fakes import text_webhook

# The budget of issue 14, per inbound message, webhook included.
PG_PER_MESSAGE = 4
REDIS_PER_MESSAGE = 3
LUA_COMMANDS_PER_MESSAGE = 8


async def watch_scripts(url: str, seen: list[str], ready: asyncio.Event) -> None:
    """Every command a Lua script runs in this test's Redis database, as MONITOR reports it."""
    db = int(url.rsplit("/", 1)[1])
    client = Redis.from_url(url)
    try:
        async with client.monitor() as monitor:
            ready.set()
            while True:
                info = await monitor.next_command()
                if info["client_type"] == "lua" and info["db"] == db:
                    seen.append(info["command"])
    finally:
        await client.aclose()


async def test_round_trips_per_inbound_message(
    database_url: str, redis_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_stack(database_url, redis_url, run_background_workers=False) as stack:
        res = stack.bot_app.state.resources
        pipeline = Pipeline(res, stack.bot_app.state.turn_handler)
        await pipeline.ensure_group()
        agree = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650071")
        refuse = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650072")
        scripts: list[tuple[dict[str, Any], list[str]]] = [
            (agree, ["oi", agree["cpf"][:3], "quero pagar à vista", "sim"]),
            (refuse, ["oi", refuse["cpf"][:3], "nao quero", "ja disse que nao", "nao"]),
        ]
        send = {"pg": 0, "redis": 0, "replies": 0}
        await stack.webhook(text_webhook("5511900000001", "oi"))  # warm-up, not counted: compiled
        await pipeline.drain_once()  # statements, loaded scripts, the CRM's first answers
        inside: list[str] = []
        ready = asyncio.Event()
        watcher = asyncio.create_task(watch_scripts(redis_url, inside, ready))
        await asyncio.wait_for(ready.wait(), 5)
        with counting(res.engine, monkeypatch) as tally:
            real = Sender.deliver_rows

            async def counted(self: Sender, rows: list[Any]) -> int:
                pg, rd = tally.pg_round_trips, tally.redis_round_trips
                try:
                    return await real(self, rows)
                finally:
                    send["pg"] += tally.pg_round_trips - pg
                    send["redis"] += tally.redis_round_trips - rd
                    send["replies"] += len(rows)

            monkeypatch.setattr(Sender, "deliver_rows", counted)
            messages = 0
            for debtor, texts in scripts:
                phone = debtor["phone"].lstrip("+")
                for text in texts:
                    before = len(stack.graph.messages_to(phone))
                    assert (await stack.webhook(text_webhook(phone, text))).status_code == 200
                    assert await pipeline.drain_once() == 1  # the worker's pass, as its loop runs it
                    assert len(stack.graph.messages_to(phone)) > before  # answered, from memory
                    messages += 1
        await asyncio.sleep(0.5)  # MONITOR's last lines
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher
        # The send side's script (the per-number rate window) is counted with the send side.
        turn_lua = sum(1 for c in inside if "certobot:rl:" not in c)
        async with res.sessionmaker() as db:
            kinds = dict((await db.execute(select(Conversation.phone, Conversation.outcome_kind))).all())
        assert kinds["+" + agree["phone"].lstrip("+")] == "successful"
        assert kinds["+" + refuse["phone"].lstrip("+")] == "unsuccessful"
        turn_pg = tally.pg_round_trips - send["pg"]
        turn_redis = tally.redis_round_trips - send["redis"]
        print(  # noqa: T201 - the figures docs/performance.md quotes
            f"\nper inbound message ({messages}): Postgres {turn_pg / messages:.2f}, Redis {turn_redis / messages:.2f}; "
            f"send side per reply ({send['replies']}): Postgres {send['pg'] / send['replies']:.2f}, "
            f"Redis {send['redis'] / send['replies']:.2f}; inside scripts per message {turn_lua / messages:.2f}; "
            f"commands {dict(tally.redis_commands)}"
        )
        assert turn_pg / messages <= PG_PER_MESSAGE
        assert turn_redis / messages <= REDIS_PER_MESSAGE
        assert turn_lua / messages <= LUA_COMMANDS_PER_MESSAGE
