"""The CPF challenge attacked: guesses spread over conversations, endings and phones still add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.negotiation.models import Conversation
from certobot.security.identity import LockPolicy, locked_until, record_failure
from tests.e2e.conftest import Stack
from tests.factories import create_debtor

LOCKED = "várias tentativas que não conferiram"


def wrong_for(cpf: str) -> str:
    return "999" if not cpf.startswith("999") else "888"


def locks() -> float:
    return sum(
        REGISTRY.get_sample_value("certobot_identity_locks_total", {"subject": s}) or 0 for s in ("cpf", "phone")
    )


async def conversation_of(db: AsyncSession, phone: str) -> Conversation:
    db.expire_all()
    conv = await db.scalar(
        select(Conversation).where(Conversation.phone_key == phone).order_by(Conversation.created_at.desc())
    )
    assert conv is not None
    return conv


class TestBruteForce:
    async def test_guesses_add_up_across_parar_and_new_conversations(self, stack: Stack, db: AsyncSession) -> None:
        d = await create_debtor(stack.crm, debt="4321.00", phone="+5511987651201")
        phone, wrong = d["phone"].lstrip("+"), wrong_for(d["cpf"])
        before = locks()
        await stack.say(phone, "oi")
        await stack.say(phone, wrong)
        await stack.say(phone, wrong)
        await stack.say(phone, "PARAR")  # a fresh conversation used to bring three fresh tries
        await stack.say(phone, "oi")
        await stack.say(phone, wrong)
        await stack.say(phone, wrong)
        fifth = await stack.say(phone, wrong)
        assert LOCKED in fifth[0]
        conv = await conversation_of(db, phone)
        assert conv.status == "handoff"  # a person takes it from here
        assert locks() == before + 2  # the debtor and the phone
        everything = " ".join(stack.graph.texts_to(phone))
        assert "4.321" not in everything

    async def test_a_phone_that_never_passed_the_check_hears_no_name_after_an_ending(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="4321.00", phone="+5511987651203")
        phone, first = d["phone"].lstrip("+"), d["name"].split()[0]
        await stack.say(phone, "oi")
        await stack.say(phone, "PARAR")
        again = await stack.say(phone, "oi, quem é?")
        assert again
        assert not [r for r in again if first in r or "cobrar" in r.lower()]  # whoever holds the phone

    async def test_the_right_digits_from_another_phone_disclose_nothing_while_locked(
        self, stack: Stack, db: AsyncSession
    ) -> None:
        d = await create_debtor(stack.crm, debt="4321.00", phone="+5521987651202")
        phone, wrong = d["phone"].lstrip("+"), wrong_for(d["cpf"])
        await stack.say(phone, "oi")
        for _ in range(3):
            await stack.say(phone, wrong)  # the conversation ends; three failures are kept
        r = await stack.crm.put(f"/api/debtors/{d['cpf']}", json={"phone": "+5521987651299"})
        assert r.status_code == 200, r.text
        other = "5521987651299"
        await stack.say(other, "oi")
        await stack.say(other, wrong)
        locked = await stack.say(other, wrong)
        assert LOCKED in locked[0]
        r = await stack.crm.put(f"/api/debtors/{d['cpf']}", json={"phone": "+5521987651298"})
        third = "5521987651298"
        answer = await stack.say(third, f"oi, meu cpf começa com {d['cpf'][:3]}")
        assert LOCKED in answer[0]
        assert "4.321" not in " ".join(stack.graph.texts_to(third))
        assert (await conversation_of(db, third)).phase == "validation"

    async def test_timeout_does_not_reset_the_count(self, stack: Stack, db: AsyncSession) -> None:
        d = await create_debtor(stack.crm, phone="+5531987651203")
        phone, wrong = d["phone"].lstrip("+"), wrong_for(d["cpf"])
        handler = stack.bot_app.state.turn_handler
        await stack.say(phone, "oi")
        await stack.say(phone, wrong)
        await stack.say(phone, wrong)
        conv = await conversation_of(db, phone)
        async with stack.bot_app.state.resources.sessionmaker() as s, s.begin():
            live = await s.get(Conversation, conv.id, with_for_update=True)
            assert live is not None
            assert await handler.expire(s, live)
        await stack.say(phone, "oi")
        await stack.say(phone, wrong)
        await stack.say(phone, wrong)
        fifth = await stack.say(phone, wrong)
        assert LOCKED in fifth[0]  # no conversation saw more than three, the debtor saw five
        assert (await conversation_of(db, phone)).status == "handoff"

    async def test_one_phone_guessing_several_debtors_is_locked(self, stack: Stack, db: AsyncSession) -> None:
        first = await create_debtor(stack.crm, phone="+5541987651204")
        phone = first["phone"].lstrip("+")
        await stack.say(phone, "oi")
        for _ in range(3):
            await stack.say(phone, wrong_for(first["cpf"]))
        # the number now reaches another debtor (recycled line, or a second record)
        await stack.crm.put(f"/api/debtors/{first['cpf']}", json={"phone": "+5541987651290"})
        second = await create_debtor(stack.crm, phone=first["phone"])
        await stack.say(phone, "oi")
        await stack.say(phone, wrong_for(second["cpf"]))
        locked = await stack.say(phone, wrong_for(second["cpf"]))
        assert LOCKED in locked[0]


class TestLockPeriod:
    async def test_lock_lasts_the_configured_period_and_old_failures_are_not_counted_twice(
        self, db: AsyncSession
    ) -> None:
        policy = LockPolicy(max_failures=2, lock_for=timedelta(hours=24))
        now = datetime(2026, 1, 5, 12, tzinfo=UTC)  # a fixed instant: only differences matter here

        async def fail(at: datetime) -> datetime | None:
            return await record_failure(
                db, cpf="12345678909", phone_key="551187654321", conversation_id="c1", now=at, policy=policy
            )

        assert await fail(now) is None
        until = await fail(now + timedelta(minutes=1))
        assert until == now + timedelta(hours=24, minutes=1)
        assert await locked_until(db, cpf="12345678909", phone_key="other", now=now + timedelta(hours=23)) == until
        after = until + timedelta(seconds=1)
        assert await locked_until(db, cpf="12345678909", phone_key="551187654321", now=after) is None
        # one more failure after the lock is one, not three
        assert await fail(after) is None
        await db.rollback()


class TestSecondFactor:
    async def test_high_amounts_also_ask_the_month_of_the_debt(self, database_url: str, redis_url: str) -> None:
        from decimal import Decimal

        from tests.e2e.conftest import make_stack

        async with make_stack(database_url, redis_url, second_factor_min_amount=Decimal("3000")) as stack:
            high = await create_debtor(stack.crm, debt="4321.00", phone="+5511987651701")
            phone = high["phone"].lstrip("+")
            month = int(high["due_date"][5:7])
            await stack.say(phone, "oi")
            asked = await stack.say(phone, high["cpf"][:3])
            assert "mês" in asked[0]
            assert "4.321" not in " ".join(stack.graph.texts_to(phone))
            wrong = await stack.say(phone, f"foi no mês {month % 12 + 1}")
            assert "não batem" in wrong[0] or "Não conferiu" in wrong[0]
            assert "4.321" not in " ".join(stack.graph.texts_to(phone))
            again = await stack.say(phone, high["cpf"][:3])  # a wrong month starts over from the digits
            assert "mês" in again[0]
            opened = await stack.say(phone, str(month))
            assert "R$ 4.321,00" in opened[0]

            low = await create_debtor(stack.crm, debt="999.00", phone="+5511987651702")
            await stack.say(low["phone"].lstrip("+"), "oi")
            straight = await stack.say(low["phone"].lstrip("+"), low["cpf"][:3])
            assert "R$ 999,00" in straight[0]


def test_months_as_debtors_write_them() -> None:
    from certobot.security.second_factor import parse_month

    assert [parse_month(t) for t in ("março", "Marco", "mar", "3", "03", "foi em 3", "dezembro", "out")] == [
        3,
        3,
        3,
        3,
        3,
        3,
        12,
        10,
    ]
    assert parse_month("março ou abril") is None
    assert parse_month("13") is None
    assert parse_month("não lembro") is None
