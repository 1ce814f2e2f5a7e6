"""Webhooks that arrive together are written together (certokit.coalesce), and each answered for its own.

Under a burst Meta posts hundreds of webhooks at once. Each used to be one statement (a pooled
connection, a round trip, a commit) for one row; now the ones that arrive while a statement runs go
into the next one. What a sender must still see: every message stored before its 200, once; its own
answer (how many of *its* messages and statuses were new); a redelivery arriving beside its first
delivery stored once and worked on once.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from certobot.whatsapp.models import InboundEvent, StatusEvent
from certobot.whatsapp.pipeline import Pipeline
from certobot.whatsapp.statuses import STATUS_RANK
from tests.counting import counting
from tests.e2e.conftest import Stack
from tests.fakes import status_object, statuses_webhook, text_webhook

PHONES = [f"55119876{n:05d}" for n in range(40)]


async def test_forty_first_messages_at_once_are_stored_by_a_few_statements_each_answered_for_itself(
    quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = quiet_stack
    res = stack.bot_app.state.resources
    assert (await stack.webhook(text_webhook("5511987699999", "oi", wamid="wamid.warm"))).status_code == 200
    bodies = [text_webhook(p, "oi", wamid=f"wamid.in.{i}") for i, p in enumerate(PHONES)]
    with counting(res.engine, monkeypatch, res.sessionmaker.kw["bind"]) as tally:
        answers = await asyncio.gather(*(stack.webhook(b) for b in bodies))

    assert [a.status_code for a in answers] == [200] * 40
    assert [a.json()["messages"] for a in answers] == [1] * 40  # each told about its own message
    stores = [s for s in tally.statements if "INSERT INTO inbound_events" in s]
    assert 1 <= len(stores) < 20, len(stores)  # many bodies per statement, not one each
    async with res.sessionmaker() as db:
        stored = await db.scalar(select(func.count()).where(InboundEvent.wamid.like("wamid.in.%")))
    assert stored == 40


async def test_a_redelivery_arriving_with_its_first_delivery_is_stored_and_worked_on_once(
    quiet_stack: tuple[Stack, Pipeline],
) -> None:
    stack, pipeline = quiet_stack
    res = stack.bot_app.state.resources
    body = text_webhook(PHONES[0], "oi", wamid="wamid.twice")
    others = [text_webhook(p, "oi", wamid=f"wamid.other.{i}") for i, p in enumerate(PHONES[1:10])]
    answers = await asyncio.gather(stack.webhook(body), *(stack.webhook(b) for b in others), stack.webhook(body))

    assert all(a.status_code == 200 for a in answers)
    # The first delivery is the new one; Meta's second copy is a duplicate, answered as such.
    assert answers[0].json()["messages"] == 1
    assert answers[-1].json()["messages"] == 0
    async with res.sessionmaker() as db:
        assert await db.scalar(select(func.count()).where(InboundEvent.wamid == "wamid.twice")) == 1
    while await pipeline.drain_once(flush=True):
        pass
    assert len(stack.graph.messages_to(PHONES[0])) == 1  # one greeting, not two


async def test_statuses_of_many_webhooks_are_recorded_together_each_counted_for_its_own_body(
    quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = quiet_stack
    res = stack.bot_app.state.resources
    warm = statuses_webhook([status_object("wamid.warm", "sent", PHONES[0])])
    assert (await stack.webhook(warm)).status_code == 200
    states = [s for s in STATUS_RANK if s != "queued"]
    bodies = [
        statuses_webhook([status_object(f"wamid.out.{i}", states[i % len(states)], PHONES[i])]) for i in range(30)
    ]
    bodies.append(bodies[0])  # Meta redelivers one while the others arrive
    with counting(res.engine, monkeypatch, res.sessionmaker.kw["bind"]) as tally:
        answers = await asyncio.gather(*(stack.webhook(b) for b in bodies))

    assert [a.status_code for a in answers] == [200] * 31
    assert [a.json()["statuses"] for a in answers] == [1] * 30 + [0]
    records = [s for s in tally.statements if "INSERT INTO status_events" in s]
    assert 1 <= len(records) < 15, len(records)
    async with res.sessionmaker() as db:
        assert await db.scalar(select(func.count()).where(StatusEvent.wamid.like("wamid.out.%"))) == 30


async def test_a_malformed_body_among_many_is_refused_alone_and_the_others_are_stored(
    quiet_stack: tuple[Stack, Pipeline],
) -> None:
    """A message id Postgres could not store (a NUL) is refused before any statement: it would
    otherwise fail the statement shared with the webhooks beside it."""
    stack, _ = quiet_stack
    res = stack.bot_app.state.resources
    bodies = [text_webhook(p, "oi", wamid=f"wamid.fine.{i}") for i, p in enumerate(PHONES[:9])]
    bad = text_webhook(PHONES[9], "oi", wamid="wamid.nul\x00")
    answers = await asyncio.gather(*(stack.webhook(b) for b in [*bodies[:5], bad, *bodies[5:]]))

    assert [a.status_code for a in answers] == [200] * 5 + [400] + [200] * 4
    assert "inválid" in answers[5].json()["detail"].lower()
    async with res.sessionmaker() as db:
        assert await db.scalar(select(func.count()).where(InboundEvent.wamid.like("wamid.fine.%"))) == 9
        assert await db.scalar(select(func.count()).where(InboundEvent.wamid.like("wamid.nul%"))) == 0
