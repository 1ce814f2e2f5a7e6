"""A reply's record is held for a statement the process makes anyway, or written at the window's end;
nobody is answered out of order, shown a reply as queued past the window, or sent anything twice.

A process's worker and its webhooks share the held records (`resources.marks`); a second Pipeline
given records of its own stands for a `certobot worker` process, which no webhook reaches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.negotiation.models import Outbox
from certobot.whatsapp.marks import SentMarks
from certobot.whatsapp.models import Message
from certobot.whatsapp.pipeline import Pipeline
from tests.counting import counting
from tests.e2e.conftest import Stack, make_stack
from tests.factories import create_debtor
from tests.fakes import Sent, status_webhook, text_webhook
from tests.whatsapp.turns import conversation, sweep_after_the_lease


@pytest.fixture
async def two_workers(
    database_url: str, redis_url: str, engine: AsyncEngine
) -> AsyncIterator[tuple[Stack, Pipeline, Pipeline]]:
    """A: a worker process of its own, holding its records for as long as the test says. B: the API
    process's worker, whose records the webhooks carry."""
    async with make_stack(database_url, redis_url, run_background_workers=False) as stack:
        res, handler = stack.bot_app.state.resources, stack.bot_app.state.turn_handler
        a = Pipeline(res, handler, marks=SentMarks(res.engine, within=60))
        b = Pipeline(res, handler)
        await a.ensure_group()
        yield stack, a, b


async def one_pass_without_flushing(worker: Pipeline) -> None:
    """A worker's pass: its records stay held (the window has not ended)."""
    for key, ids, claimed in await worker.read_and_claim():
        await worker._claimed_phone(key, ids, claimed)


async def greeted_by_a_then_digits(stack: Stack, a: Pipeline, phone_number: str) -> str:
    """A debtor says "oi" (worker A answers, its record held) and then the CPF digits."""
    d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=phone_number)
    phone = str(d["phone"]).lstrip("+")
    assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
    await one_pass_without_flushing(a)
    assert len(stack.graph.texts_to(phone)) == 1
    assert len(a.marks) == 1  # sent, its record held by A
    assert (await stack.webhook(text_webhook(phone, d["cpf"][:3]))).status_code == 200
    assert len(a.marks) == 1  # that webhook came to another process: it carried nothing of A's
    return phone


async def outbox_statuses(stack: Stack) -> list[str]:
    async with stack.bot_app.state.resources.sessionmaker() as db:
        return list((await db.scalars(select(Outbox.status).where(Outbox.kind == "whatsapp"))).all())


async def lines_to(stack: Stack, phone: str) -> list[Message]:
    conv = await conversation(stack, phone)
    async with stack.bot_app.state.resources.sessionmaker() as db:
        q = select(Message).where(Message.conversation_id == conv.id, Message.direction == "out").order_by(Message.id)
        return list((await db.scalars(q)).all())


def sent_to(stack: Stack, phone: str) -> list[Sent]:
    return [s for s in stack.graph.sent if s.body is not None and s.body.get("to") == phone]


class TestAnotherWorkerAnswersNext:
    async def test_it_waits_for_the_other_process_window_and_answers_in_order(
        self, two_workers: tuple[Stack, Pipeline, Pipeline]
    ) -> None:
        stack, a, b = two_workers
        a.marks.within = 1.5  # A's window ends on its own timer, well past a moment but within B's wait
        phone = await greeted_by_a_then_digits(stack, a, "+5511987650091")
        greeting = stack.graph.texts_to(phone)
        await b.drain_once(flush=True)
        texts = stack.graph.texts_to(phone)
        assert texts[0] == greeting[0]
        assert len(texts) == 2  # B's answer went out as soon as A's record landed, not a sweep later
        assert "R$" in texts[1]
        assert set(await outbox_statuses(stack)) == {"done"}

    async def test_a_reply_never_overtakes_one_whose_worker_died_before_recording_it(
        self, two_workers: tuple[Stack, Pipeline, Pipeline]
    ) -> None:
        stack, a, b = two_workers
        phone = await greeted_by_a_then_digits(stack, a, "+5511987650092")
        a.marks.take()  # A is killed: its held record is gone with it
        await b.drain_once(flush=True)
        # B's answer waits behind the greeting, whose lease (the dead worker's) has not run out:
        # the sweeper sends both, in order, when it does.
        assert len(stack.graph.texts_to(phone)) == 1
        assert await outbox_statuses(stack) == ["pending", "pending"]
        await sweep_after_the_lease(stack, phone)
        texts = stack.graph.texts_to(phone)
        assert len(texts) == 3
        assert texts[0] == texts[1]  # the greeting once more (its record died with A), then B's answer
        assert "R$" in texts[2]


class TestTheNextStatementCarriesThem:
    async def test_the_next_webhook_records_the_reply_in_its_own_statement(
        self, quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack, pipeline = quiet_stack
        res = stack.bot_app.state.resources
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650093")
        phone = d["phone"].lstrip("+")
        assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
        await pipeline.drain_once()
        [greeting] = sent_to(stack, phone)
        assert [line.status for line in await lines_to(stack, phone)] == ["queued"]  # held
        with counting(res.engine, monkeypatch) as tally:
            assert (await stack.webhook(text_webhook(phone, d["cpf"][:3]))).status_code == 200
        assert tally.pg_round_trips == 1, tally.statements  # the inbox insert, the record in front of it
        assert len(pipeline.marks) == 0
        [line] = await lines_to(stack, phone)
        assert (line.status, line.wamid) == ("sent", greeting.wamid)
        assert await outbox_statuses(stack) == ["done"]

    async def test_while_a_turn_runs_the_webhook_leaves_them_to_it(self, quiet_stack: tuple[Stack, Pipeline]) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650101")
        phone = d["phone"].lstrip("+")
        assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
        await pipeline.drain_once()
        pipeline.marks.turns += 1  # another debtor's turn is running, as process_phone counts it
        try:
            assert (await stack.webhook(text_webhook(phone, d["cpf"][:3]))).status_code == 200
        finally:
            pipeline.marks.turns -= 1
        assert len(pipeline.marks) == 1  # under load the turn's statements carry it, not Meta's webhook
        await pipeline.drain_once()  # the next turn's read records it, and answers after it
        [greeting, answer] = await lines_to(stack, phone)
        assert (greeting.status, answer.status) == ("sent", "queued")

    async def test_metas_sent_status_records_its_reply_and_carries_the_others(
        self, quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack, pipeline = quiet_stack
        res = stack.bot_app.state.resources
        phones, held = [], []
        for n in ("+5511987650094", "+5511987650095"):
            d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=n)
            phones.append(d["phone"].lstrip("+"))
            assert (await stack.webhook(text_webhook(phones[-1], "oi"))).status_code == 200
            await pipeline.drain_once()
            held += pipeline.marks.take()  # kept aside, or the second webhook would carry the first
        pipeline.marks.give_back(held)  # both replies held, as when two turns end in one moment
        assert len(pipeline.marks) == 2
        [first] = sent_to(stack, phones[0])
        with counting(res.engine, monkeypatch) as tally:
            assert (await stack.webhook(status_webhook(first, "sent"))).status_code == 200
        assert tally.pg_round_trips == 1, tally.statements
        assert len(pipeline.marks) == 0
        for phone in phones:
            [sent] = sent_to(stack, phone)
            [line] = await lines_to(stack, phone)
            assert (line.status, line.wamid) == ("sent", sent.wamid)
        assert await outbox_statuses(stack) == ["done", "done"]

    async def test_a_status_past_sent_is_not_undone_by_the_held_record(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650096")
        phone = d["phone"].lstrip("+")
        assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
        await pipeline.drain_once()
        [greeting] = sent_to(stack, phone)
        assert (await stack.webhook(status_webhook(greeting, "sent", "delivered"))).status_code == 200
        await pipeline.marks.flush(pipeline.res.engine)  # nothing left: the status took its record
        [line] = await lines_to(stack, phone)
        assert (line.status, line.wamid) == ("delivered", greeting.wamid)


class TestTheWindow:
    async def test_a_worker_process_without_webhooks_shows_the_reply_sent_within_its_window(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, _ = quiet_stack
        res = stack.bot_app.state.resources
        worker = Pipeline(res, stack.bot_app.state.turn_handler, marks=SentMarks(res.engine, within=1.0))
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650097")
        phone = d["phone"].lstrip("+")
        assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
        await worker.drain_once()
        conv = await conversation(stack, phone)

        async def shown() -> list[str]:
            detail = await stack.bot.get(f"/api/conversations/{conv.id}")
            assert detail.status_code == 200, detail.text
            return [t["status"] for t in detail.json()["transcript"] if t["direction"] == "out"]

        assert await shown() == ["queued"]  # Meta has it; the record is held
        await asyncio.sleep(1.3)  # the window's end, and no statement of this process in between
        assert await shown() == ["sent"]
        assert await outbox_statuses(stack) == ["done"]

    async def test_shutdown_writes_what_is_held(self, quiet_stack: tuple[Stack, Pipeline]) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650098")
        phone = d["phone"].lstrip("+")
        assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
        stop = asyncio.Event()
        loop = asyncio.create_task(pipeline.consume(stop))
        for _ in range(100):
            if len(pipeline.marks):
                break
            await asyncio.sleep(0.02)
        assert len(pipeline.marks) == 1  # answered, its record held
        stop.set()
        await asyncio.wait_for(loop, 5)
        assert await outbox_statuses(stack) == ["done"]
        assert [line.status for line in await lines_to(stack, phone)] == ["sent"]


class TestAKillWhileHeld:
    async def held_then_killed(self, stack: Stack, pipeline: Pipeline, phone_number: str) -> tuple[str, Sent]:
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=phone_number)
        phone = d["phone"].lstrip("+")
        assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
        await pipeline.drain_once()
        assert len(pipeline.marks) == 1
        pipeline.marks.take()  # killed: the held record is gone with the process
        [greeting] = sent_to(stack, phone)
        return phone, greeting

    async def test_metas_sent_status_records_it_and_it_is_not_sent_again(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, pipeline = quiet_stack
        phone, greeting = await self.held_then_killed(stack, pipeline, "+5511987650099")
        assert (await stack.webhook(status_webhook(greeting, "sent"))).status_code == 200
        await sweep_after_the_lease(stack, phone)
        assert sent_to(stack, phone) == [greeting]  # once
        [line] = await lines_to(stack, phone)
        assert (line.status, line.wamid) == ("sent", greeting.wamid)

    async def test_without_a_status_that_one_reply_goes_out_once_more(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, pipeline = quiet_stack
        phone, greeting = await self.held_then_killed(stack, pipeline, "+5511987650100")
        await sweep_after_the_lease(stack, phone)
        sent = sent_to(stack, phone)
        assert [s.body for s in sent] == [greeting.body, greeting.body]  # at least once: that one, twice
        assert await outbox_statuses(stack) == ["done"]
