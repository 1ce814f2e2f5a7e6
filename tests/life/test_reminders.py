"""Reminders before and on the due date, the follow-up after it, and the broken agreement — with the
clock set by the test, inside and outside the contact hours, and across a restart of the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.lifecycle.models import AgreementReminder
from certobot.lifecycle.reminders import tick
from certobot.resources import Resources
from certobot.whatsapp.models import Message
from certokit.clock import FixedClock
from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.life.conftest import life_stack
from tests.life.helpers import agreed, payment

SP = ZoneInfo("America/Sao_Paulo")
HOURS = "mon-fri 08:00-20:00; sat 08:00-14:00"


def next_monday() -> date:
    today = datetime.now(SP).date()
    return today + timedelta(days=7 - today.weekday() + 7)  # a Monday at least a week ahead


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SP).astimezone(UTC)


@pytest.fixture
async def stack(database_url: str, redis_url: str, engine: object, clock: FixedClock) -> AsyncIterator[Stack]:
    async with life_stack(database_url, redis_url, clock, contact_hours=HOURS) as s:
        yield s


def res(stack: Stack) -> Resources:
    resources: Resources = stack.bot_app.state.resources
    return resources


async def bodies(db: AsyncSession) -> list[str]:
    db.expire_all()
    rows = await db.scalars(select(Message.body).where(Message.direction == "out").order_by(Message.id))
    return list(rows)


class TestReminders:
    async def test_before_and_on_the_due_date_once_each_even_across_a_restart(
        self, database_url: str, redis_url: str, engine: object, stack: Stack, clock: FixedClock, db: AsyncSession
    ) -> None:
        monday = next_monday()
        thursday = monday + timedelta(days=3)
        clock.set(at(monday, 10))
        await agreed(stack.crm, first_due=thursday, total="600.00", n=2, now=clock.now())
        first = await tick(res(stack))
        assert len(first.sent) == 1
        assert await bodies(db) == [
            "Oi, Maria! Passando pra lembrar: o boleto da parcela 1 de 2 de R$ 300,00 vence em 3 dias "
            f"({thursday:%d/%m}). Se já pagou, pode desconsiderar. Precisa do boleto de novo? É só me pedir."
        ]
        assert (await tick(res(stack))).sent == []
        clock.set(at(monday + timedelta(days=2), 9))  # Wednesday: the same reminder window, still once
        assert (await tick(res(stack))).sent == []
        # The bot restarts: a new process over the same database sends nothing twice.
        async with life_stack(database_url, redis_url, clock, contact_hours=HOURS) as again:
            assert (await tick(res(again))).sent == []
            clock.set(at(thursday, 8, 30))
            due = await tick(res(again))
        assert len(due.sent) == 1
        assert due.sent[0].startswith("due:")
        assert (await bodies(db))[-1].startswith(
            "Oi, Maria! Passando pra lembrar: o boleto da parcela 1 de 2 de R$ 300,00 vence hoje"
        )
        assert len(await bodies(db)) == 2

    async def test_outside_contact_hours_nothing_is_sent_and_the_reminder_comes_next_morning(
        self, stack: Stack, clock: FixedClock, db: AsyncSession
    ) -> None:
        monday = next_monday()
        clock.set(at(monday, 21))
        await agreed(stack.crm, first_due=monday + timedelta(days=3), total="300.00", n=1, now=clock.now())
        night = await tick(res(stack))
        assert (night.sent, night.skipped_outside_hours) == ([], True)
        assert await bodies(db) == []
        clock.set(at(monday + timedelta(days=1), 8, 5))
        morning = await tick(res(stack))
        assert len(morning.sent) == 1
        assert "vence em 2 dias" in (await bodies(db))[0]

    async def test_never_on_a_holiday(
        self, database_url: str, redis_url: str, engine: object, clock: FixedClock
    ) -> None:
        monday = next_monday()
        clock.set(at(monday, 10))
        async with life_stack(database_url, redis_url, clock, contact_hours=HOURS, holidays=monday.isoformat()) as s:
            await agreed(s.crm, first_due=monday + timedelta(days=2), total="300.00", n=1, now=clock.now())
            report = await tick(res(s))
        assert (report.sent, report.skipped_outside_hours) == ([], True)

    async def test_followup_the_day_after_an_unpaid_due_date_and_none_for_a_paid_one(
        self, stack: Stack, clock: FixedClock, db: AsyncSession
    ) -> None:
        monday = next_monday()
        clock.set(at(monday, 10))
        _, _, boletos = await agreed(
            stack.crm, first_due=monday + timedelta(days=1), total="600.00", n=2, now=clock.now()
        )
        clock.set(at(monday + timedelta(days=2), 10))  # Wednesday, the day after the first due date
        report = await tick(res(stack))
        assert report.sent == [f"followup:{boletos[0]['boleto_id']}"]
        assert (await bodies(db))[-1].startswith(
            "Oi, Maria, tudo bem? Não encontramos o pagamento da parcela 1 de 2 de R$ 300,00"
        )
        # Paid late: the second installment's reminders still come, the first is never chased again.
        await stack.crm.post("/api/payments", json=payment(boletos[0]["boleto_id"], "300.00", "LATE-1"))
        clock.set(at(monday + timedelta(days=1 + 30), 10))
        later = await tick(res(stack))
        assert all(boletos[0]["boleto_id"] not in key for key in later.sent)


class TestBroken:
    async def test_grace_period_passed_breaks_the_agreement_once(
        self, stack: Stack, clock: FixedClock, db: AsyncSession
    ) -> None:
        monday = next_monday()
        clock.set(at(monday, 10))
        _, session_id, _ = await agreed(
            stack.crm, first_due=monday + timedelta(days=1), total="300.00", n=1, now=clock.now()
        )
        clock.set(at(monday + timedelta(days=1 + 10), 10))
        report = await tick(res(stack))
        [item] = (await stack.crm.get("/api/agreements", params={"session_id": session_id})).json()["items"]
        assert (len(report.broken), item["status"]) == (1, "broken")
        assert (await tick(res(stack))).broken == []  # no longer active: nothing more for it
        kinds = list(await db.scalars(select(AgreementReminder.kind)))
        assert kinds == ["broken"]

    async def test_paid_agreement_gets_no_reminder(self, stack: Stack, clock: FixedClock, db: AsyncSession) -> None:
        monday = next_monday()
        clock.set(at(monday, 10))
        _, _, boletos = await agreed(
            stack.crm, first_due=monday + timedelta(days=2), total="300.00", n=1, now=clock.now()
        )
        await stack.crm.post("/api/payments", json=payment(boletos[0]["boleto_id"], "300.00", "EARLY-1"))
        report = await tick(res(stack))
        assert report.sent == []
        assert not [b for b in await bodies(db) if "Passando pra lembrar" in b]


class TestPromiseToPay:
    async def test_a_promise_whose_date_passed_gets_one_kind_followup(
        self, stack: Stack, clock: FixedClock, db: AsyncSession
    ) -> None:
        monday = next_monday()
        clock.set(at(monday, 10))
        debtor = await create_debtor(stack.crm, name="João Pedro")
        r = await stack.crm.post(
            f"/api/debtors/{debtor['cpf']}/contacts",
            json={"kind": "payment_promise", "promised_date": (monday + timedelta(days=1)).isoformat()},
        )
        assert r.status_code == 201, r.text
        assert (await tick(res(stack))).sent == []  # the date has not come yet
        clock.set(at(monday + timedelta(days=2), 10))
        report = await tick(res(stack))
        assert len(report.sent) == 1
        assert report.sent[0].startswith("promise:")
        assert await bodies(db) == [
            f"Oi, João, tudo bem? Você tinha comentado que ia pagar em {monday + timedelta(days=1):%d/%m} e ainda "
            "não encontramos o pagamento. Sem problema! Quer que eu te mande o boleto, ou prefere combinar um "
            "parcelamento? Também posso te passar pra uma pessoa da equipe."
        ]
        assert (await tick(res(stack))).sent == []

    async def test_a_promise_followed_by_an_agreement_is_kept(self, stack: Stack, clock: FixedClock) -> None:
        monday = next_monday()
        clock.set(at(monday, 10))
        debtor = await create_debtor(stack.crm, debt="1500.00")
        await stack.crm.post(
            f"/api/debtors/{debtor['cpf']}/contacts",
            json={"kind": "payment_promise", "promised_date": (monday + timedelta(days=1)).isoformat()},
        )
        r = await stack.crm.post(
            "/api/boletos/generate",
            json={
                "debtor_cpf": debtor["cpf"],
                "total_amount": "300.00",
                "installments": 1,
                "first_due_date": (monday + timedelta(days=20)).isoformat(),
            },
        )
        assert r.status_code == 201
        clock.set(at(monday + timedelta(days=2), 10))
        assert [k for k in (await tick(res(stack))).sent if k.startswith("promise:")] == []


class TestTalkLater:
    """ "Agora não dá, depois eu vejo": the bot promised to call once on the chosen day, and does."""

    async def test_one_message_on_the_chosen_day_and_never_again(
        self, stack: Stack, clock: FixedClock, db: AsyncSession
    ) -> None:
        monday = next_monday()
        clock.set(at(monday, 10))
        debtor = await create_debtor(stack.crm, name="Rita de Cássia")
        r = await stack.crm.post(
            f"/api/debtors/{debtor['cpf']}/contacts",
            json={"kind": "follow_up", "promised_date": (monday + timedelta(days=1)).isoformat()},
        )
        assert r.status_code == 201, r.text
        assert [k for k in (await tick(res(stack))).sent if k.startswith("later:")] == []  # not that day yet
        clock.set(at(monday + timedelta(days=1), 7))  # the day, before the contact hours
        assert [k for k in (await tick(res(stack))).sent if k.startswith("later:")] == []
        clock.set(at(monday + timedelta(days=1), 9))
        assert [k for k in (await tick(res(stack))).sent if k.startswith("later:")] != []
        sent = [b for b in await bodies(db) if "voltar a conversar hoje" in b]
        assert sent == [
            "Oi, Rita, tudo bem? Você pediu pra gente voltar a conversar hoje. Quando for um bom momento, é só "
            "responder aqui que eu continuo de onde paramos. Se preferir não receber mais mensagens, escreva PARAR."
        ]
        assert "R$" not in sent[0]  # nothing about the debt, whoever holds the phone
        clock.set(at(monday + timedelta(days=2), 10))
        assert [k for k in (await tick(res(stack))).sent if k.startswith("later:")] == []
