"""What one inbound message costs, webhook included: Postgres and Redis round trips, counted in CI.

Whole conversations go through the signed Meta webhook and the worker with the offline engine —
greeting, the CPF digits, negotiation, "sim" (an agreement), and a refusal — and every round trip
to the bot's Postgres (statements, BEGIN and COMMIT as asyncpg sends them) and Redis (a pipeline
once; a Lua script once, its inner commands counted apart by what the scripts do) is counted.

Counted per inbound message: the webhook (store the event, flood counter, announce), the worker's
stream read, the turn (lock + session in one script, one read statement, one write statement,
session + unlock + XACK in one script) and the CRM lookups the turn makes. Counted apart, and said
so: the send side — each reply sent from memory after the commit and recorded by its own statement
(one Postgres statement and one Redis rate-limit script per reply). The worker's idle polling is a
cost per second, not per message, and is not driven here (the test reads the stream itself).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from typing import Any

import pytest
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


def commandstats(url: str) -> Counter[str]:
    """Every command the server ran, those inside scripts included (asked by redis-cli: not counted)."""
    raw = subprocess.run(["redis-cli", "-u", url, "INFO", "commandstats"], capture_output=True, text=True).stdout
    calls = Counter({m.group(1): int(m.group(2)) for m in re.finditer(r"cmdstat_([\w|]+):calls=(\d+)", raw)})
    del calls["info"], calls["select"]  # our own question
    return calls


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
        send = {"pg": 0, "redis": 0, "replies": 0, "server": 0}
        await stack.webhook(text_webhook("5511900000001", "oi"))  # warm-up, not counted: compiled
        await pipeline.drain_once()  # statements, loaded scripts, the CRM's first answers
        server_before = commandstats(redis_url)
        with counting(res.engine, monkeypatch) as tally:
            real = Sender.deliver_rows

            async def counted(self: Sender, rows: list[Any]) -> int:
                pg, rd, server = tally.pg_round_trips, tally.redis_round_trips, commandstats(redis_url)
                try:
                    return await real(self, rows)
                finally:
                    send["pg"] += tally.pg_round_trips - pg
                    send["redis"] += tally.redis_round_trips - rd
                    send["server"] += (commandstats(redis_url) - server).total()
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
        server_ran = (commandstats(redis_url) - server_before).total() - send["server"]
        turn_lua = server_ran - (sum(tally.redis_commands.values()) - send["redis"])
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
