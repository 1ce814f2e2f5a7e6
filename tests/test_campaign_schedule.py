"""Recurring campaigns' next run and segments' pure rules (no database: a rule and a clock in, an instant out)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from certobot.campaigns.schedule import describe, next_run
from certobot.campaigns.schemas import Recurrence, Segment
from certobot.campaigns.segments import ddd_of, matches, skip_reason, uf_of
from certobot.config import BotSettings
from certobot.crm.schemas import DebtorInfo, NegotiationParams
from certokit.clock import SAO_PAULO


def settings(**kw: Any) -> BotSettings:
    values: dict[str, Any] = {
        "contact_hours": "mon-fri 08:00-20:00; sat 08:00-14:00",
        "holidays": "",
        "crm_api_key": SecretStr("x"),
        "certobot_api_key": SecretStr("y"),
    }
    values.update(kw)
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


def a_monday() -> date:
    today = datetime.now(UTC).astimezone(SAO_PAULO).date() + timedelta(days=7)
    return today - timedelta(days=today.weekday())


def sp(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), SAO_PAULO)


class TestNextRun:
    def test_weekly_on_the_chosen_days_at_the_local_hour(self) -> None:
        mon = a_monday()
        rule = Recurrence(every="weekly", weekdays=[3, 0], at=time(10, 0))
        assert next_run(rule, sp(mon, 9), settings()) == sp(mon, 10)
        assert next_run(rule, sp(mon, 10), settings()) == sp(mon + timedelta(days=3), 10)
        assert next_run(rule, sp(mon, 10), settings(), inclusive=True) == sp(mon, 10)
        assert describe(rule) == "semanal (segunda e quinta) às 10:00"

    def test_daily_skips_days_without_contact_hours_and_holidays(self) -> None:
        mon = a_monday()
        rule = Recurrence(every="daily", at=time(15, 0))
        friday = mon + timedelta(days=4)
        # Saturday's hours end at 14:00 and Sunday has none: after Friday comes Monday.
        assert next_run(rule, sp(friday, 16), settings()) == sp(mon + timedelta(days=7), 15)
        holiday = settings(holidays=(mon + timedelta(days=7)).isoformat())
        assert next_run(rule, sp(friday, 16), holiday) == sp(mon + timedelta(days=8), 15)
        assert describe(rule) == "diária às 15:00"

    def test_a_rule_outside_every_window_never_runs(self) -> None:
        assert next_run(Recurrence(every="daily", at=time(21, 0)), sp(a_monday(), 9), settings()) is None
        assert next_run(Recurrence(every="weekly", weekdays=[6], at=time(10)), sp(a_monday(), 9), settings()) is None


def debtor(**kw: Any) -> DebtorInfo:
    values: dict[str, Any] = {
        "cpf": "11144477735",
        "name": "Ana Souza",
        "phone": "+5531987654321",
        "debt_amount": Decimal("1500.00"),
        "due_date": date(2020, 1, 1),
        "days_past_due": 120,
        "original_creditor": "Banco Aurora S.A.",
        "negotiation_params": NegotiationParams(
            max_discount_percentage=Decimal(10), min_payment_amount=Decimal(50), max_installments=6
        ),
    }
    values.update(kw)
    return DebtorInfo(**values)


class TestSegmentRules:
    def test_ddd_gives_the_state(self) -> None:
        assert (ddd_of("+55 (31) 98765-4321"), uf_of("5531987654321")) == (31, "MG")
        assert (uf_of("+5561912345678"), uf_of("11987654321"), uf_of("+5520987654321")) == ("DF", "SP", None)

    @pytest.mark.parametrize(
        ("seg", "inside"),
        [
            ({"ufs": ["MG"]}, True),
            ({"ufs": ["SP"]}, False),
            ({"ddds": [31]}, True),
            ({"min_days_past_due": 121}, False),
            ({"max_days_past_due": 120}, True),
            ({"min_amount_cents": 150_000, "max_amount_cents": 150_000}, True),
            ({"max_amount_cents": 149_999}, False),
            ({"creditor": "banco aurora s.a."}, True),
            ({"creditor": "Lojas Populares Ltda"}, False),
            ({"last_contact": "never"}, True),
        ],
    )
    def test_each_filter(self, seg: dict[str, Any], inside: bool) -> None:
        now = sp(a_monday(), 10)
        assert matches(debtor(), Segment.model_validate(seg), now) is inside

    def test_last_contact_more_than_n_days_ago(self) -> None:
        now = sp(a_monday(), 10)
        seg = Segment(last_contact="older_than", last_contact_days=30)
        assert matches(debtor(last_contact_at=now - timedelta(days=31)), seg, now)
        assert not matches(debtor(last_contact_at=now - timedelta(days=29)), seg, now)
        assert not matches(debtor(last_contact_at=now), Segment(last_contact="never"), now)

    def test_who_a_run_leaves_out(self) -> None:
        now = sp(a_monday(), 10)
        today = now.date()
        assert skip_reason(debtor(debt_status="agreed"), now, 24) == "agreement"
        assert skip_reason(debtor(opted_out=True), now, 24) == "opted_out"
        assert skip_reason(debtor(promised_payment_date=today), now, 24) == "promise"
        assert skip_reason(debtor(promised_payment_date=today - timedelta(days=1)), now, 24) is None
        assert skip_reason(debtor(last_contact_at=now - timedelta(hours=23)), now, 24) == "recent_contact"
        assert skip_reason(debtor(last_contact_at=now - timedelta(hours=25)), now, 24) is None
        assert skip_reason(debtor(debt_status="paid"), now, 24) == "not_collectable"
