"""A turn's copy of the session (certokit.copying): what `model_copy(deep=True)` made, and as independent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from certobot.crm.schemas import DebtorInfo, NegotiationParams
from certobot.negotiation.brain import NegotiationState
from certobot.negotiation.policy import Offer
from certobot.negotiation.session import SessionState
from certokit.copying import deep_copy


def a_session() -> SessionState:
    offer = Offer(
        id="o1",
        kind="installments",
        total_cents=90_000,
        discount_cents=10_000,
        installments=3,
        installment_amounts_cents=[30_000, 30_000, 30_000],
        due_dates=[date(2026, 12, 10), date(2027, 1, 10), date(2027, 2, 10)],
    )
    debtor = DebtorInfo(
        cpf="52998224725",
        name="Maria",
        phone="+5511987650001",
        debt_amount=Decimal("1000.00"),
        due_date=date(2026, 1, 5),
        days_past_due=300,
        negotiation_params=NegotiationParams(
            max_discount_percentage=Decimal("30.00"), min_payment_amount=Decimal("50.00"), max_installments=6
        ),
    )
    state = SessionState(
        session_id="s1",
        phone_key="pk",
        debtor_cpf="52998224725",
        started_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        negotiation=NegotiationState(pending_offer=offer, agreement=offer, first_due=date(2026, 12, 10)),
        debtor=debtor,
    )
    state.said = 3
    return state


def test_copy_equals_pydantics_deep_copy_field_for_field() -> None:
    state = a_session()
    ours, theirs = deep_copy(state), state.model_copy(deep=True)
    assert ours == theirs
    assert ours.model_dump_json() == theirs.model_dump_json()
    assert ours.model_fields_set == theirs.model_fields_set
    assert ours.negotiation.model_fields_set == theirs.negotiation.model_fields_set


def test_copy_shares_nothing_mutable_with_the_original() -> None:
    state = a_session()
    copied = deep_copy(state)
    assert copied.negotiation is not state.negotiation
    assert copied.debtor is not state.debtor
    assert copied.negotiation.pending_offer is not state.negotiation.pending_offer
    copied.negotiation.pending_offer.installment_amounts_cents[0] = 1  # type: ignore[union-attr]
    copied.negotiation.turns += 1
    copied.model_fields_set.add("status")
    assert state.negotiation.pending_offer.installment_amounts_cents[0] == 30_000  # type: ignore[union-attr]
    assert state.negotiation.turns == 0
    assert "status" not in state.model_fields_set


def test_an_offer_both_pending_and_agreed_stays_one_object_as_deepcopy_keeps_it() -> None:
    state = a_session()
    ours, theirs = deep_copy(state), state.model_copy(deep=True)
    assert theirs.negotiation.pending_offer is theirs.negotiation.agreement
    assert ours.negotiation.pending_offer is ours.negotiation.agreement
    assert ours.negotiation.pending_offer is not state.negotiation.pending_offer
