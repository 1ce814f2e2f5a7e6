"""Postgres NOTIFY wakes the outbox loops the moment a row is committed; no polling needed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.crm.outbox import queue_contact
from certobot.crm.schemas import ContactRequest
from certobot.whatsapp.outbound import queue_message
from certokit.wakeup import BOLETO_DELIVERY, CRM_OUTBOX, SWEEP, Wakeups
from certokit.whatsapp.graph import text_message
from tests.boletos.test_routes import agreement
from tests.factories import create_debtor, make_cpf


@pytest.fixture
async def wakeups(database_url: str) -> AsyncIterator[Wakeups]:
    w = Wakeups(database_url, (CRM_OUTBOX, BOLETO_DELIVERY, SWEEP))
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await asyncio.wait_for(w.listening.wait(), timeout=10)
    for event in w.events.values():
        event.clear()  # the wake-up every loop gets on connecting
    yield w
    stop.set()
    await task


async def test_a_committed_crm_row_wakes_the_crm_outbox(
    wakeups: Wakeups, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as s, s.begin():
        await queue_message(
            s, conversation_id=None, to="5511987654321", message=text_message("oi"), transcript="oi", key="w:1"
        )
    async with sessionmaker() as s, s.begin():
        await queue_contact(s, make_cpf(), ContactRequest(kind="attempt"), "wake:1")
        await asyncio.sleep(0.2)
        assert not wakeups.event(CRM_OUTBOX).is_set()  # not before the commit
    await asyncio.wait_for(wakeups.event(CRM_OUTBOX).wait(), timeout=5)
    assert not wakeups.event(BOLETO_DELIVERY).is_set()


async def test_an_issued_boleto_wakes_the_delivery(wakeups: Wakeups, crm: httpx.AsyncClient) -> None:
    d = await create_debtor(crm, debt="1500.00")
    assert (await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))).status_code == 201
    await asyncio.wait_for(wakeups.event(BOLETO_DELIVERY).wait(), timeout=5)


async def test_a_reminder_wakes_the_sweeper_and_a_reply_does_not(
    wakeups: Wakeups, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A turn's reply is sent by the worker that wrote it; a reminder has nobody else to send it."""
    async with sessionmaker() as s, s.begin():
        await queue_message(
            s, conversation_id=None, to="5511987654321", message=text_message("oi"), transcript="oi", key="w:reply"
        )
    async with sessionmaker() as s, s.begin():
        await queue_contact(s, make_cpf(), ContactRequest(kind="attempt"), "wake:2")
    # Notifications arrive in commit order: once the later one is here, the reply's would have been.
    await asyncio.wait_for(wakeups.event(CRM_OUTBOX).wait(), timeout=5)
    assert not wakeups.event(SWEEP).is_set()
    async with sessionmaker() as s, s.begin():
        await queue_message(
            s,
            conversation_id=None,
            to="5511987654321",
            message=text_message("lembrete"),
            transcript="lembrete",
            key="w:reminder",
            wake=True,
        )
    await asyncio.wait_for(wakeups.event(SWEEP).wait(), timeout=5)
