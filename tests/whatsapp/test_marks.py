"""A reply's record waits for the worker's next statement; nobody is answered out of order meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.negotiation.models import Outbox
from certobot.whatsapp.pipeline import Pipeline
from tests.e2e.conftest import Stack, make_stack
from tests.factories import create_debtor
from tests.fakes import text_webhook


@pytest.fixture
async def two_workers(
    database_url: str, redis_url: str, engine: AsyncEngine
) -> AsyncIterator[tuple[Stack, Pipeline, Pipeline]]:
    async with make_stack(database_url, redis_url, run_background_workers=False) as stack:
        res, handler = stack.bot_app.state.resources, stack.bot_app.state.turn_handler
        # Worker A keeps its records in memory for as long as the test says (no timer in the way).
        a = Pipeline(res, handler, record_within=60)
        b = Pipeline(res, handler)
        await a.ensure_group()
        yield stack, a, b


async def one_pass_without_flushing(worker: Pipeline) -> None:
    """A worker's pass whose last turn is not its last in flight: the records stay in memory."""
    for key, ids, claimed in await worker.read_and_claim():
        await worker._claimed_phone(key, ids, claimed)


async def greeted_by_a_then_digits(stack: Stack, a: Pipeline, phone_number: str) -> str:
    """A debtor says "oi" (worker A answers, its record left waiting) and then the CPF digits."""
    d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=phone_number)
    phone = d["phone"].lstrip("+")
    assert (await stack.webhook(text_webhook(phone, "oi"))).status_code == 200
    await one_pass_without_flushing(a)
    assert len(stack.graph.texts_to(phone)) == 1
    assert len(a.marks) == 1  # sent, its record waiting for A's next statement
    assert (await stack.webhook(text_webhook(phone, d["cpf"][:3]))).status_code == 200
    return phone


class TestAnotherWorkerAnswersNext:
    async def test_it_waits_a_moment_for_the_record_and_answers_in_order(
        self, two_workers: tuple[Stack, Pipeline, Pipeline]
    ) -> None:
        stack, a, b = two_workers
        phone = await greeted_by_a_then_digits(stack, a, "+5511987650091")
        greeting = stack.graph.texts_to(phone)

        async def a_writes_soon() -> None:
            await asyncio.sleep(0.1)
            await a.marks.flush(a.res.engine)

        writer = asyncio.create_task(a_writes_soon())
        await b.drain_once()
        await writer
        texts = stack.graph.texts_to(phone)
        assert texts[0] == greeting[0]
        assert len(texts) == 2  # B's answer went out as soon as A's record landed, not a sweep later
        assert "R$" in texts[1]
        async with stack.bot_app.state.resources.sessionmaker() as db:
            statuses = (await db.scalars(select(Outbox.status).where(Outbox.kind == "whatsapp"))).all()
        assert set(statuses) == {"done"}

    async def test_a_reply_never_overtakes_one_whose_worker_died_before_recording_it(
        self, two_workers: tuple[Stack, Pipeline, Pipeline]
    ) -> None:
        stack, a, b = two_workers
        phone = await greeted_by_a_then_digits(stack, a, "+5511987650092")
        a.marks.take()  # A is killed: its record is gone with it
        await b.drain_once()
        # B's answer waits behind the greeting, whose lease (the dead worker's) has not run out:
        # the sweeper sends both, in order, when it does.
        assert len(stack.graph.texts_to(phone)) == 1
        async with stack.bot_app.state.resources.sessionmaker() as db:
            pending = (
                await db.scalars(select(Outbox.id).where(Outbox.kind == "whatsapp", Outbox.status == "pending"))
            ).all()
        assert len(pending) == 2
