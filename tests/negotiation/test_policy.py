"""The policy engine: what may be offered, proved over many debts with hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from certobot.negotiation.brain import DebtContext, NegotiationState, OfflineNegotiator
from certobot.negotiation.nlu import Intent, Understanding
from certobot.negotiation.policy import DebtTerms, PolicyEngine

TODAY = date(2026, 11, 22)


def terms(amount: int = 100_000, pct: str = "30", min_inst: int = 5_000, max_inst: int = 10) -> DebtTerms:
    return DebtTerms(amount, Decimal(pct), min_inst, max_inst, 400)


class TestOffers:
    def test_cash_discount_grows_by_step_up_to_the_maximum(self) -> None:
        p = PolicyEngine(terms(), TODAY)
        discounts = [p.cash_offer(step).discount_cents for step in range(p.max_step + 2)]
        assert discounts == [12_000, 21_000, 30_000, 30_000]
        assert p.cash_offer(0).total_cents == 88_000
        assert p.cash_offer(0).due_dates == [TODAY + timedelta(days=3)]

    def test_installments_respect_min_and_max(self) -> None:
        p = PolicyEngine(terms(amount=30_000, pct="0", min_inst=5_000, max_inst=10), TODAY)
        plan = p.installment_offer(count=10)
        assert plan is not None
        assert plan.installments == 6  # R$ 300 over at least R$ 50 each
        assert min(plan.installment_amounts_cents) >= 5_000
        assert sum(plan.installment_amounts_cents) == plan.total_cents

    def test_budget_picks_the_fewest_months_within_it(self) -> None:
        p = PolicyEngine(terms(amount=100_000, pct="0", min_inst=5_000, max_inst=24), TODAY)
        plan = p.installment_offer(monthly_budget_cents=10_000)
        assert plan is not None
        assert plan.installments == 10
        assert plan.installment_amounts_cents[0] == 10_000

    def test_a_budget_at_the_minimum_installment_gets_the_longest_plan(self) -> None:
        # R$ 600, up to 12x of at least R$ 50: "50 por mês" is 12x of R$ 50. The discounted total
        # (R$ 588) only carries 11 installments of R$ 50, so the discount gives way, not the count.
        p = PolicyEngine(terms(amount=60_000, pct="10", min_inst=5_000, max_inst=12), TODAY)
        plan = p.installment_offer(monthly_budget_cents=5_000)
        assert plan is not None
        assert plan.installment_amounts_cents == [5_000] * 12
        assert plan.discount_cents == 0
        assert p.check(plan) == []

    def test_an_asked_count_keeps_what_discount_still_fits(self) -> None:
        p = PolicyEngine(terms(amount=90_000, pct="20", min_inst=6_000, max_inst=15), TODAY)
        plan = p.installment_offer(count=15)
        assert plan is not None
        assert plan.installments == 15
        assert plan.installment_amounts_cents == [6_000] * 15  # R$ 900: no room for a discount at 15x
        fewer = p.installment_offer(count=12)
        assert fewer is not None
        assert fewer.discount_cents == p.discount_at(0) // 2  # 12x still carries the usual discount
        assert p.check(plan) == []
        assert p.check(fewer) == []

    def test_no_plan_when_the_debt_is_below_two_minimums(self) -> None:
        assert PolicyEngine(terms(amount=8_000, min_inst=5_000), TODAY).installment_offer(count=3) is None

    def test_check_refuses_what_breaks_the_limits(self) -> None:
        p = PolicyEngine(terms(), TODAY)
        greedy = p.cash_offer(0).model_copy(
            update={"discount_cents": 40_000, "total_cents": 60_000, "installment_amounts_cents": [60_000]}
        )
        assert any("desconto acima" in r for r in p.check(greedy))
        plan = p.installment_offer(count=4)
        assert plan is not None
        split_wrong = plan.model_copy(update={"installment_amounts_cents": [1, *plan.installment_amounts_cents[1:]]})
        assert p.check(split_wrong)
        past = plan.model_copy(update={"due_dates": [TODAY - timedelta(days=1), *plan.due_dates[1:]]})
        assert any("vencimento" in r for r in p.check(past))


debts = st.builds(
    DebtTerms,
    amount_cents=st.integers(min_value=1_000, max_value=5_000_000),
    max_discount_pct=st.decimals(min_value=0, max_value=90, places=2),
    min_installment_cents=st.integers(min_value=100, max_value=50_000),
    max_installments=st.integers(min_value=1, max_value=48),
    days_past_due=st.integers(min_value=15, max_value=2000),
)


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(
        t=debts,
        step=st.integers(0, 5),
        count=st.one_of(st.none(), st.integers(1, 100)),
        budget=st.one_of(st.none(), st.integers(1, 1_000_000)),
        days=st.integers(-10, 60),
    )
    def test_no_offer_the_engine_builds_breaks_the_params(
        self, t: DebtTerms, step: int, count: int | None, budget: int | None, days: int
    ) -> None:
        p = PolicyEngine(t, TODAY)
        first_due = TODAY + timedelta(days=days)
        cash = p.cash_offer(step, first_due)
        assert p.check(cash) == []
        assert cash.discount_cents <= t.amount_cents * t.max_discount_pct / 100
        plan = p.installment_offer(count=count, monthly_budget_cents=budget, step=step, first_due=first_due)
        if plan is not None:
            assert p.check(plan) == []
            assert 2 <= plan.installments <= t.max_installments
            assert min(plan.installment_amounts_cents) >= t.min_installment_cents
            assert sum(plan.installment_amounts_cents) == plan.total_cents == t.amount_cents - plan.discount_cents

    @settings(max_examples=150, deadline=None)
    @given(
        t=debts,
        intents=st.lists(
            st.sampled_from(
                [
                    Intent.hardship,
                    Intent.refuse,
                    Intent.cash,
                    Intent.installments,
                    Intent.amount,
                    Intent.accept,
                    Intent.accept,
                    Intent.unknown,
                ]
            ),
            min_size=1,
            max_size=12,
        ),
        numbers=st.lists(st.integers(1, 200_000), min_size=12, max_size=12),
    )
    def test_no_accepted_agreement_ever_breaks_the_params(
        self, t: DebtTerms, intents: list[Intent], numbers: list[int]
    ) -> None:
        ctx = DebtContext(
            first_name="Ana",
            debt_description="Cartão",
            original_creditor="Banco",
            amount_cents=t.amount_cents,
            due_date=TODAY - timedelta(days=400),
            days_past_due=400,
            terms=t,
            creditor_name="Certo",
            creditor_cnpj="11.222.333/0001-81",
            today=TODAY,
        )
        engine, state = OfflineNegotiator(), NegotiationState()
        for i, intent in enumerate(intents):
            heard = Understanding(
                intent=intent,
                installments=numbers[i] % 60 or None,
                amount_cents=numbers[i],
                accepts=intent == Intent.accept,
            )
            d = engine.decide(ctx, state, heard)
            state = d.state
            if d.action == "agreement":
                assert d.agreement is not None
                assert PolicyEngine(t, TODAY).check(d.agreement) == []
                break
            if d.action != "continue":
                break
