"""A turn killed at its worst moments: between a reply's send and its record, and between the commit
and the session's write to Redis. At most one message goes out twice; nothing is decided twice; the
session is rebuilt from its durable copy, and the debtor is not asked again what they answered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from certobot.negotiation.session import session_key
from certobot.negotiation.turnstore import TurnConflict, read_turn, write_turn
from certobot.whatsapp.pipeline import Pipeline
from certokit.db import utcnow
from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.fakes import text_webhook
from tests.whatsapp.turns import Crash, conversation, killed_after_send, say, sweep_after_the_lease


class TestKilledBetweenSendAndRecord:
    async def test_one_reply_goes_out_again_at_most_and_nothing_is_decided_twice(
        self, quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650081")
        phone = d["phone"].lstrip("+")
        await say(stack, pipeline, phone, "oi")
        with killed_after_send(monkeypatch), pytest.raises(Crash):
            await say(stack, pipeline, phone, d["cpf"][:3])
        offer = stack.graph.texts_to(phone)[-1]
        assert "R$" in offer  # it did go out, once
        # The stream entry was never acknowledged: another pass finds the event already processed
        # (committed with the turn) and decides nothing again.
        res = stack.bot_app.state.resources
        await sweep_after_the_lease(stack, phone)  # the dead worker's lease runs out; the sweeper's pass
        assert stack.graph.texts_to(phone).count(offer) == 2  # that one message again, nothing else
        assert await pipeline.read_and_claim() == []  # nothing new to read …
        pipeline.claim_idle_ms = 0
        await pipeline._handle_entries((await res.redis.xautoclaim("certobot:inbound", "workers", "x", 0, "0-0"))[1])
        for task in list(pipeline._tasks):
            await task
        assert stack.graph.texts_to(phone).count(offer) == 2  # … and the old entry decided nothing again
        # The session never reached Redis (killed before): the next turn takes the durable copy and
        # goes on from the offer, without asking for the digits again.
        reply = await say(stack, pipeline, phone, "quero pagar à vista")
        assert "3 primeiros" not in " ".join(reply)
        assert "*sim*" in reply[-1]


class TestRedisLosesTheSession:
    async def test_a_deal_shown_before_the_loss_closes_on_a_plain_yes(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650082")
        phone = d["phone"].lstrip("+")
        await say(stack, pipeline, phone, "oi")
        await say(stack, pipeline, phone, d["cpf"][:3])
        offer = await say(stack, pipeline, phone, "quero pagar à vista")
        assert "*sim*" in offer[-1]
        res = stack.bot_app.state.resources
        await res.redis.delete(session_key((await conversation(stack, phone)).phone_key))
        # Redis restarted, evicted the key, whatever: the durable copy written with the offer's turn
        # knows what was shown, so the plain yes closes that deal instead of asking how to pay again.
        closing = await say(stack, pipeline, phone, "sim")
        assert "acordo" in " ".join(closing).lower()
        conv = await conversation(stack, phone)
        assert conv.outcome_kind == "successful"
        assert conv.outcome is not None
        assert conv.outcome["agreed_amount"] == offer_amount(offer[-1])

    async def test_a_stale_session_is_not_trusted(self, quiet_stack: tuple[Stack, Pipeline]) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650083")
        phone = d["phone"].lstrip("+")
        await say(stack, pipeline, phone, "oi")
        res = stack.bot_app.state.resources
        conv = await conversation(stack, phone)
        stale = await res.redis.get(session_key(conv.phone_key))
        await say(stack, pipeline, phone, d["cpf"][:3])
        await res.redis.set(session_key(conv.phone_key), stale)  # Redis went back in time
        reply = await say(stack, pipeline, phone, "quero pagar à vista")
        assert "3 primeiros" not in " ".join(reply)  # the row's newer version wins
        assert "*sim*" in reply[-1]


def offer_amount(words: str) -> str:
    m = re.search(r"R\$ ([\d.]+,\d\d)", words)
    assert m is not None
    return m.group(1).replace(".", "").replace(",", ".")


class TestTwoWritersOfOneTurn:
    async def test_the_second_write_of_the_same_read_is_refused_whole(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650084")
        phone = d["phone"].lstrip("+")
        await say(stack, pipeline, phone, "oi")
        assert (await stack.webhook(text_webhook(phone, d["cpf"][:3]))).status_code == 200
        res = stack.bot_app.state.resources
        flow = stack.bot_app.state.turn_handler
        conv = await conversation(stack, phone)
        read = await read_turn(res.engine, conv.phone_key, since=utcnow() - timedelta(days=1), window_start=utcnow())
        [event] = read.events
        # Two processes decided the same event from the same read (the lock lost with a Redis restart).
        first = await flow.decide(read, event, None)
        second = await flow.decide(
            await read_turn(res.engine, conv.phone_key, since=utcnow() - timedelta(days=1), window_start=utcnow()),
            event,
            None,
        )
        await write_turn(res.engine, first)
        async with res.engine.connect() as conn:
            before = (await conn.execute(text("SELECT count(*) FROM messages"))).scalar_one()
            outbox = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
        with pytest.raises(TurnConflict):
            await write_turn(res.engine, second)
        async with res.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM messages"))).scalar_one() == before
            assert (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one() == outbox
        after = await conversation(stack, phone)
        assert after.state_version == conv.state_version + 1  # one turn written, not two
        assert after.validation_attempts == 1
