"""Turns that are ready at the same moment are written by one statement, each still all or nothing.

A worker's pass starts its turns together; their writes arrive together and go as one statement
(`certobot.negotiation.turnstore.TurnWriter`). Each debtor must still get exactly their own replies,
their own transcript, their own version step; and a turn that met another writer must be refused
alone, never taking the others down with it nor being written half.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text

from certobot.negotiation.turnstore import TurnConflict, TurnRead, TurnWork, TurnWriter, read_turn
from certobot.whatsapp.pipeline import Pipeline
from certokit.db import utcnow
from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.fakes import text_webhook
from tests.whatsapp.turns import conversation, say


async def _at_the_digits(stack: Stack, pipeline: Pipeline, n: int) -> list[tuple[str, dict[str, str]]]:
    """`n` debtors greeted, each with the CPF digits sent and not yet answered."""
    out = []
    for i in range(n):
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=f"+55119876501{i:02d}")
        phone = d["phone"].lstrip("+")
        await say(stack, pipeline, phone, "oi")
        out.append((phone, d))
    for phone, d in out:  # after every greeting: a worker's pass would answer them at once
        assert (await stack.webhook(text_webhook(phone, d["cpf"][:3]))).status_code == 200
    return out


async def _read(stack: Stack, phone: str) -> TurnRead:
    res = stack.bot_app.state.resources
    key = (await conversation(stack, phone)).phone_key
    return await read_turn(res.engine, key, since=utcnow() - timedelta(days=1), window_start=utcnow())


async def _decide(stack: Stack, phone: str) -> TurnWork:
    read = await _read(stack, phone)
    return await stack.bot_app.state.turn_handler.decide(read, read.events[0], None)


async def _rows(stack: Stack, conv_id: str) -> tuple[int, int, int]:
    """(transcript lines, outbox rows, outbox rows whose line belongs to another conversation)."""
    async with stack.bot_app.state.resources.engine.connect() as conn:
        lines = (
            await conn.execute(text("SELECT count(*) FROM messages WHERE conversation_id = :c"), {"c": conv_id})
        ).scalar_one()
        rows = (
            await conn.execute(text("SELECT count(*) FROM outbox WHERE conversation_id = :c"), {"c": conv_id})
        ).scalar_one()
        crossed = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id"
                    " WHERE o.conversation_id = :c AND m.conversation_id <> :c"
                ),
                {"c": conv_id},
            )
        ).scalar_one()
    return lines, rows, crossed


class TestTurnsWrittenTogether:
    async def test_five_turns_ready_together_are_one_statement_and_each_gets_its_own_rows(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, pipeline = quiet_stack
        debtors = await _at_the_digits(stack, pipeline, 5)
        before = {p: await conversation(stack, p) for p, _ in debtors}
        counts = {p: await _rows(stack, before[p].id) for p, _ in debtors}
        works = [await _decide(stack, p) for p, _ in debtors]
        writer = TurnWriter(stack.bot_app.state.resources.engine)

        written = await asyncio.gather(*(writer(w) for w in works))

        assert writer.statements == 1
        for (phone, _), work, got in zip(debtors, works, written, strict=True):
            conv = before[phone]
            # Its own replies came back, and only its own: the offer it decided, ready to send.
            assert got.outbox
            assert {o.conversation_id for o in got.outbox} == {conv.id}
            assert [o.idempotency_key for o in got.outbox] == [o.idempotency_key for o, _ in work.outbox]
            after = await conversation(stack, phone)
            assert after.state_version == conv.state_version + 1
            assert after.validation_attempts == 1
            lines, rows, crossed = await _rows(stack, conv.id)
            assert lines - counts[phone][0] == len(work.messages)  # the debtor's digits and the offer
            assert rows - counts[phone][1] == len(work.outbox)
            assert crossed == 0  # every reply points at its own conversation's transcript line

    async def test_a_turn_that_met_another_writer_is_refused_alone(self, quiet_stack: tuple[Stack, Pipeline]) -> None:
        stack, pipeline = quiet_stack
        (late_phone, _), *others = await _at_the_digits(stack, pipeline, 3)
        res = stack.bot_app.state.resources
        # Two processes decided the first debtor's digits from the same read; one has written already.
        first, late = await _decide(stack, late_phone), await _decide(stack, late_phone)
        writer = TurnWriter(res.engine)
        await writer(first)
        late_conv = await conversation(stack, late_phone)
        late_rows = await _rows(stack, late_conv.id)
        before = {p: await conversation(stack, p) for p, _ in others}
        works = [await _decide(stack, p) for p, _ in others]

        got = await asyncio.gather(writer(late), *(writer(w) for w in works), return_exceptions=True)

        assert isinstance(got[0], TurnConflict)
        assert await _rows(stack, late_conv.id) == late_rows  # nothing of the late turn was written
        assert (await conversation(stack, late_phone)).state_version == late_conv.state_version
        for (phone, _), written in zip(others, got[1:], strict=True):
            assert not isinstance(written, BaseException)
            assert written.outbox
            assert (await conversation(stack, phone)).state_version == before[phone].state_version + 1
