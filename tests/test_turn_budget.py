"""What one inbound message costs, webhook and replies included: Postgres and Redis round trips, in CI.

Whole conversations go through the signed Meta webhook and the worker with the offline engine —
greeting, the CPF digits, negotiation, "sim" (an agreement), and a refusal — and every round trip
to the bot's Postgres (statements, BEGIN and COMMIT as asyncpg sends them) and Redis (a pipeline
once; a Lua script once, the commands inside scripts counted apart, from MONITOR) is counted.

Everything is counted per inbound message: the webhook (store the event, flood counter, announce),
the worker's pass (stream read, lock and session in one script), the turn (one read statement, one
write statement, session + unlock + XACK in one script), the CRM lookups, and the replies — each
sent, paced by the send window the claim script reserved, its record held for the next statement
the process makes anyway (the next webhook's insert, the next turn's read or write) and, at the end,
what is still held written by one statement as the window's end would (certobot.whatsapp.marks).

Two debtors talk at the same time, as they do on a live number: each pass of the worker serves
both. The same conversations one after the other, with the worker idle between every message, are
measured too: there the next webhook carries the previous message's records.
The worker's idle polling is a cost per second, not per message, and is not driven here.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.negotiation.models import Conversation, Outbox
from certobot.whatsapp.models import Message
from certobot.whatsapp.pipeline import Pipeline
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


@pytest.mark.parametrize("together", [True, False], ids=["two-debtors-at-once", "one-at-a-time"])
async def test_round_trips_per_inbound_message(
    database_url: str, redis_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, together: bool
) -> None:
    async with make_stack(database_url, redis_url, run_background_workers=False) as stack:
        res = stack.bot_app.state.resources
        pipeline = Pipeline(res, stack.bot_app.state.turn_handler)
        await pipeline.ensure_group()
        suffix = 3 if together else 5
        agree = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=f"+551198765{suffix}071")
        refuse = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=f"+551198765{suffix}072")
        scripts: list[tuple[dict[str, Any], list[str]]] = [
            (agree, ["oi", agree["cpf"][:3], "quero pagar à vista", "sim"]),
            (refuse, ["oi", refuse["cpf"][:3], "nao quero", "ja disse que nao", "nao"]),
        ]
        await stack.webhook(text_webhook("5511900000001", "oi"))  # warm-up, not counted: compiled
        await pipeline.drain_once(flush=True)  # statements, loaded scripts, the CRM's first answers
        # Rounds of what the debtors send before the worker's next pass.
        if together:
            rounds = [
                [(d, texts[i]) for d, texts in scripts if i < len(texts)]
                for i in range(max(len(t) for _, t in scripts))
            ]
        else:
            rounds = [[(d, text)] for d, texts in scripts for text in texts]
        inside: list[str] = []
        ready = asyncio.Event()
        watcher = asyncio.create_task(watch_scripts(redis_url, inside, ready))
        await asyncio.wait_for(ready.wait(), 5)
        messages = replies = 0
        with counting(res.engine, monkeypatch, res.sessionmaker.kw["bind"]) as tally:
            for batch in rounds:
                phones = [d["phone"].lstrip("+") for d, _ in batch]
                before = {p: len(stack.graph.messages_to(p)) for p in phones}
                for (_, text), phone in zip(batch, phones, strict=True):
                    assert (await stack.webhook(text_webhook(phone, text))).status_code == 200
                assert await pipeline.drain_once() == len(batch)  # the worker's pass, as its loop runs it
                for phone in phones:
                    got = len(stack.graph.messages_to(phone)) - before[phone]
                    assert got > 0  # answered, from memory
                    replies += got
                messages += len(batch)
            # The window's end: what no later statement carried is written by one of its own, counted.
            assert len(pipeline.marks) > 0
            await pipeline.marks.flush(res.engine)
        await asyncio.sleep(0.5)  # MONITOR's last lines
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher
        async with res.sessionmaker() as db:
            kinds = dict((await db.execute(select(Conversation.phone, Conversation.outcome_kind))).all())
            waiting = await db.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.kind == "whatsapp", Outbox.status != "done")
            )
            unsent = await db.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "out", Message.status == "queued")
            )
        assert kinds["+" + agree["phone"].lstrip("+")] == "successful"
        assert kinds["+" + refuse["phone"].lstrip("+")] == "unsuccessful"
        assert waiting == 0  # every reply recorded as sent, none left for the sweeper
        assert unsent == 0
        pg, redis_trips = tally.pg_round_trips / messages, tally.redis_round_trips / messages
        lua = len(inside) / messages
        print(  # noqa: T201 - the figures docs/performance.md quotes
            f"\n{'together' if together else 'one at a time'}: per inbound message ({messages}, {replies} replies): "
            f"Postgres {pg:.2f}, Redis {redis_trips:.2f}, inside scripts {lua:.2f}; "
            f"commands {dict(tally.redis_commands)}"
        )
        assert pg <= PG_PER_MESSAGE
        assert redis_trips <= REDIS_PER_MESSAGE
        assert lua <= LUA_COMMANDS_PER_MESSAGE
