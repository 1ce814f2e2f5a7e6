"""Meta's status webhooks: a body's statuses stored by one statement, messages moved forward only, and
a reply whose sender died before recording it recorded by Meta's "sent" — so it is never sent twice.

Every send names its outbox row in `biz_opaque_callback_data`; Meta echoes it in each status. The
fault tests kill the worker between Meta's 200 and the record (as tests/whatsapp/test_turn_faults.py
does), let the lease run out (moved into the past, not waited for) and run the sweeper's pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot import migrate as bot_migrate
from certobot.negotiation.models import Outbox
from certobot.whatsapp.marks import SentMarks
from certobot.whatsapp.models import Message, StatusEvent
from certobot.whatsapp.pipeline import Pipeline
from certobot.whatsapp.schemas import WebhookBody, statuses
from certobot.whatsapp.sender import Sender
from certobot.whatsapp.statuses import outbox_id_of, store_statuses
from certokit.db import make_engine, make_sessionmaker, utcnow
from tests.counting import counting
from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.fakes import Sent, status_object, status_webhook, statuses_webhook
from tests.whatsapp.turns import Crash, killed_after_send, say, sweep_after_the_lease


def sent_to(stack: Stack, phone: str) -> list[Sent]:
    return [s for s in stack.graph.sent if s.body is not None and s.body.get("to") == phone]


async def transcript_of(db: AsyncSession, wamid: str) -> Message:
    msg = await db.scalar(select(Message).where(Message.wamid == wamid))
    assert msg is not None
    return msg


class TestOneStatementPerBody:
    async def test_several_statuses_are_stored_by_one_statement_and_move_messages_forward_only(
        self, quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack, _ = quiet_stack
        res = stack.bot_app.state.resources
        known = {"wamid.A": "sent", "wamid.B": "read", "wamid.C": "delivered"}
        async with res.sessionmaker() as db, db.begin():
            for wamid, status in known.items():
                db.add(Message(direction="out", phone="+5511987650090", wamid=wamid, kind="text", status=status))
        to = "5511987650090"
        body = statuses_webhook(
            [
                status_object("wamid.A", "delivered", to),
                status_object("wamid.A", "read", to),
                status_object("wamid.B", "delivered", to),
                status_object("wamid.C", "failed", to),
                # A message someone else sent on this number (the CRM's boletos): recorded, nothing moved.
                status_object("wamid.CRM", "sent", to),
            ]
        )
        # Warm-up, not counted: the statement compiled, the stack's start-up reads (templates) done.
        assert (await stack.webhook(statuses_webhook([status_object("wamid.warm", "sent", to)]))).status_code == 200
        with counting(res.engine, monkeypatch, res.sessionmaker.kw["bind"]) as tally:
            assert (await stack.webhook(body)).status_code == 200

        assert tally.pg_round_trips == 1, tally.statements  # no BEGIN, no COMMIT: autocommit
        assert tally.statements[0].startswith("WITH")
        async with res.sessionmaker() as db:
            assert (await transcript_of(db, "wamid.A")).status == "read"  # sent → delivered → read
            assert (await transcript_of(db, "wamid.B")).status == "read"  # delivered never goes back
            failed = await transcript_of(db, "wamid.C")
            assert failed.status == "failed"  # failed may follow anything
            assert failed.error == {
                "errors": [
                    {
                        "code": 131026,
                        "title": "Message undeliverable",
                        "message": "Message undeliverable",
                        "error_data": None,
                    }
                ]
            }
            assert await db.scalar(select(func.count()).select_from(StatusEvent)) == 6  # the five and the warm-up's
        # Meta redelivers: nothing is recorded twice, nothing moves.
        assert (await stack.webhook(body)).status_code == 200
        async with res.sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(StatusEvent)) == 6
            assert (await transcript_of(db, "wamid.A")).status == "read"


async def kill_after_send(stack: Stack, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Sent]:
    """A debtor gets as far as the CPF digits; the reply goes to Meta and the worker dies before
    recording it. Returns the debtor's phone and what Meta took."""
    d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650091")
    phone = d["phone"].lstrip("+")
    await say(stack, pipeline, phone, "oi")
    before = len(sent_to(stack, phone))
    with killed_after_send(monkeypatch), pytest.raises(Crash):
        await say(stack, pipeline, phone, d["cpf"][:3])
    [taken] = sent_to(stack, phone)[before:]  # the first reply went out, the rest never did
    return phone, taken


class TestKilledBetweenSendAndRecord:
    async def test_metas_sent_status_records_it_and_the_debtor_gets_it_once(
        self, quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack, pipeline = quiet_stack
        phone, taken = await kill_after_send(stack, pipeline, monkeypatch)
        assert taken.body is not None
        outbox_id = outbox_id_of(taken.body["biz_opaque_callback_data"])
        assert outbox_id is not None
        # Meta, a moment later, about the message it took: the opaque data names the row.
        assert (await stack.webhook(status_webhook(taken, "sent", "delivered"))).status_code == 200

        conv = await sweep_after_the_lease(stack, phone)

        bodies = [s.body for s in sent_to(stack, phone)]
        assert bodies.count(taken.body) == 1  # received exactly once
        res = stack.bot_app.state.resources
        async with res.sessionmaker() as db:
            line = await transcript_of(db, taken.wamid)
            assert (line.conversation_id, line.direction, line.status) == (conv.id, "out", "delivered")
            row = await db.get(Outbox, outbox_id)
            assert row is not None
            assert (row.status, row.locked_until, row.message_id) == ("done", None, line.id)
            # The rest of the dead worker's batch went out after the lease, each once, and nothing waits.
            lines = (
                await db.scalars(select(Message).where(Message.conversation_id == conv.id, Message.direction == "out"))
            ).all()
            assert {m.status for m in lines} <= {"sent", "delivered"}
            assert len({m.wamid for m in lines}) == len(lines)
            assert await db.scalar(select(func.count()).where(Outbox.status == "pending")) == 0
        assert len(bodies) == len(lines)

    async def test_without_a_status_that_one_message_goes_out_again(
        self, quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack, pipeline = quiet_stack
        phone, taken = await kill_after_send(stack, pipeline, monkeypatch)

        await sweep_after_the_lease(stack, phone)

        bodies = [s.body for s in sent_to(stack, phone)]
        assert bodies.count(taken.body) == 2  # at least once: that one message again, nothing else
        assert len(bodies) == len(set(map(str, bodies))) + 1

    async def test_a_status_that_beats_the_record_is_not_undone_by_it(
        self, quiet_stack: tuple[Stack, Pipeline], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack, _ = quiet_stack
        res = stack.bot_app.state.resources
        # A worker process of its own: Meta's status reaches another process, which cannot drop the
        # record this one holds (certobot.whatsapp.marks), so the record lands after the status.
        pipeline = Pipeline(res, stack.bot_app.state.turn_handler, marks=SentMarks(res.engine, within=60))
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650092")
        phone = d["phone"].lstrip("+")
        real = Sender._record_sent

        async def slow_record(self: Sender, *args: Any) -> None:
            # Meta's webhook arrives while the sender is still between the 200 and its record.
            await stack.webhook(status_webhook(stack.graph.sent[-1], "sent", "delivered"))
            await real(self, *args)

        monkeypatch.setattr(Sender, "_record_sent", slow_record)
        real_flush = pipeline.marks.flush

        async def status_first(engine: Any) -> None:
            # The same, for a record held for the worker's next statement.
            if len(pipeline.marks):
                await stack.webhook(status_webhook(stack.graph.sent[-1], "sent", "delivered"))
            await real_flush(engine)

        monkeypatch.setattr(pipeline.marks, "flush", status_first)
        replies = await say(stack, pipeline, phone, "oi")
        assert replies
        async with stack.bot_app.state.resources.sessionmaker() as db:
            for s in sent_to(stack, phone):
                assert (await transcript_of(db, s.wamid)).status == "delivered"
            assert await db.scalar(select(func.count()).where(Outbox.status != "done")) == 0


class TestTheRequest:
    async def test_every_send_names_its_outbox_row_and_nothing_personal(
        self, quiet_stack: tuple[Stack, Pipeline]
    ) -> None:
        stack, pipeline = quiet_stack
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650093")
        phone = d["phone"].lstrip("+")
        await say(stack, pipeline, phone, "oi")
        await say(stack, pipeline, phone, d["cpf"][:3])
        async with stack.bot_app.state.resources.sessionmaker() as db:
            rows = {r.id: r for r in (await db.scalars(select(Outbox).where(Outbox.kind == "whatsapp"))).all()}
        sent = sent_to(stack, phone)
        assert len(sent) == len(rows)
        opaque = [str((s.body or {}).get("biz_opaque_callback_data")) for s in sent]
        assert opaque == [f"ob:{i}" for i in sorted(rows)]  # each row named, in the order sent
        assert not any(phone[-8:] in o or d["cpf"] in o for o in opaque)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    bot_migrate.upgrade(url)
    return url


class TestSqliteDevelopment:
    async def test_the_same_rules_through_the_orm(self, sqlite_url: str) -> None:
        engine = make_engine(sqlite_url)
        sessions = make_sessionmaker(engine)
        try:
            async with sessions() as db, db.begin():
                line = Message(direction="out", phone="+5511987650094", kind="text", body="oi", status="queued")
                read = Message(direction="out", phone="+5511987650094", wamid="wamid.R", kind="text", status="read")
                db.add_all([line, read])
                await db.flush()
                row = Outbox(
                    kind="whatsapp",
                    idempotency_key="k1",
                    payload={"to": "5511987650094", "message": {"type": "text"}},
                    message_id=line.id,
                    status="pending",
                    locked_until=utcnow(),
                )
                db.add(row)
                await db.flush()
                taken = Sent(
                    "", {"to": "5511987650094", "biz_opaque_callback_data": f"ob:{row.id}"}, 0, wamid="wamid.T"
                )
                body = WebhookBody.model_validate(status_webhook(taken, "sent", "delivered"))
                late = WebhookBody.model_validate(status_webhook(Sent("", {"to": "x"}, 0, wamid="wamid.R"), "sent"))
                assert await store_statuses(db, [*statuses(body), *statuses(late)]) == 3
            async with sessions() as db:
                stored = await db.get(Outbox, row.id)
                assert stored is not None
                assert (stored.status, stored.locked_until) == ("done", None)
                assert (await transcript_of(db, "wamid.T")).status == "delivered"
                assert (await transcript_of(db, "wamid.R")).status == "read"  # never back to sent
        finally:
            await engine.dispose()
