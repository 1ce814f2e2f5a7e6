"""The creditor's negotiation policy: which one applies to a debt, whether an edit is coherent, and that
every offer the engine builds stays inside the policy it resolved (and inside the CRM's limits)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certobot.negotiation.brain import DebtContext, NegotiationState, OfflineNegotiator
from certobot.negotiation.flow import guard_agreement
from certobot.negotiation.nlu import understand
from certobot.negotiation.policy import DebtTerms, Offer, PolicyEngine
from certobot.policies.book import PolicyBook
from certobot.policies.rules import DEFAULT_POLICY, NegotiationPolicy, problems, resolve

TODAY = date(2026, 11, 22)
RULES = OfflineNegotiator()

GLOBAL = NegotiationPolicy(id=1, max_discount_cash_pct=Decimal(50))
GLOBAL_OLD = NegotiationPolicy(id=2, segment="acima de 1 ano", days_min=366, max_discount_cash_pct=Decimal(60))
AURORA = NegotiationPolicy(id=3, creditor="Banco Aurora S.A.", max_discount_cash_pct=Decimal(20))
AURORA_LATE = NegotiationPolicy(
    id=4, creditor="Banco Aurora S.A.", segment="90 a 365 dias", days_min=90, days_max=365, max_installments=6
)
AURORA_BIG = NegotiationPolicy(
    id=5, creditor="Banco Aurora S.A.", segment="grandes", amount_min_cents=1_000_000, max_installments=24
)
BOOK = [GLOBAL, GLOBAL_OLD, AURORA, AURORA_LATE, AURORA_BIG]


def debtor(
    amount: str = "1000.00", days: int = 200, pct: str = "30.00", min_payment: str = "50.00", most: int = 12
) -> dict[str, Any]:
    return {
        "debt_amount": amount,
        "days_past_due": days,
        "negotiation_params": {
            "max_discount_percentage": pct,
            "min_payment_amount": min_payment,
            "max_installments": most,
        },
    }


class TestResolution:
    def test_the_creditors_own_segment_wins(self) -> None:
        assert resolve(BOOK, "Banco Aurora S.A.", 200, 100_000).id == 4

    def test_the_creditors_default_when_no_segment_of_it_matches(self) -> None:
        assert resolve(BOOK, "Banco Aurora S.A.", 30, 100_000).id == 3
        # A global segment that matches does not beat the creditor's own default.
        assert resolve(BOOK, "Banco Aurora S.A.", 400, 100_000).id == 3

    def test_another_creditor_gets_the_global_segment_then_the_global_default(self) -> None:
        assert resolve(BOOK, "Lojas Populares Ltda", 400, 100_000).id == 2
        assert resolve(BOOK, "Lojas Populares Ltda", 30, 100_000).id == 1

    def test_nothing_stored_means_todays_rules(self) -> None:
        assert resolve([], "Banco Aurora S.A.", 30, 100_000) == DEFAULT_POLICY
        assert resolve([AURORA], "Lojas Populares Ltda", 30, 100_000) == DEFAULT_POLICY

    def test_of_two_matching_segments_the_narrower_wins(self) -> None:
        # 200 days and R$ 20.000: both "90 a 365 dias" and "grandes" match; the days range is the narrow one.
        assert resolve(BOOK, "Banco Aurora S.A.", 200, 2_000_000).id == 4
        assert resolve(BOOK, "Banco Aurora S.A.", 500, 2_000_000).id == 5

    def test_ranges_include_both_ends(self) -> None:
        assert resolve(BOOK, "Banco Aurora S.A.", 90, 100_000).id == 4
        assert resolve(BOOK, "Banco Aurora S.A.", 365, 100_000).id == 4
        assert resolve(BOOK, "Banco Aurora S.A.", 89, 100_000).id == 3
        assert resolve(BOOK, "Banco Aurora S.A.", 30, 1_000_000).id == 5
        assert resolve(BOOK, "Banco Aurora S.A.", 30, 999_999).id == 3

    def test_the_creditor_name_as_typed_by_hand_still_matches(self) -> None:
        assert resolve(BOOK, "  banco  AURORA s.a. ", 30, 100_000).id == 3

    def test_the_book_resolves_from_memory_and_swaps_whole(self) -> None:
        book = PolicyBook(BOOK)
        assert book.resolve("Banco Aurora S.A.", 30, 100_000).id == 3
        book.replace([GLOBAL])
        assert book.resolve("Banco Aurora S.A.", 30, 100_000).id == 1


class TestValidation:
    def test_the_default_and_the_examples_are_coherent(self) -> None:
        for p in [DEFAULT_POLICY, *BOOK]:
            assert problems(p) == []

    @pytest.mark.parametrize(
        ("change", "says"),
        [
            ({"max_discount_cash_pct": Decimal(101)}, "desconto máximo à vista precisa estar entre 0 % e 100 %"),
            ({"max_discount_cash_pct": Decimal(-1)}, "desconto máximo à vista precisa estar entre 0 % e 100 %"),
            ({"max_discount_installments_pct": Decimal(60)}, "parcelado precisa estar entre 0 % e o desconto máximo"),
            ({"min_installment_cents": 0}, "parcela mínima precisa ser maior que zero"),
            ({"max_installments": 0}, "número máximo de parcelas precisa estar entre 1 e 72"),
            ({"max_installments": 73}, "número máximo de parcelas precisa estar entre 1 e 72"),
            ({"first_due_min_days": 0}, "Janela do 1º vencimento inválida"),
            ({"first_due_min_days": 10, "first_due_default_days": 5}, "Janela do 1º vencimento inválida"),
            ({"first_due_max_days": 61}, "Janela do 1º vencimento inválida"),
            ({"down_payment_min_pct": Decimal(70)}, "entrada mínima precisa estar entre 0 % e 60 %"),
            ({"down_payment_required": True, "max_installments": 1}, "Entrada obrigatória só faz sentido"),
            ({"days_min": 10, "days_max": 5, "segment": "x"}, "Faixa de atraso inválida"),
            ({"amount_min_cents": 500, "amount_max_cents": 100, "segment": "x"}, "Faixa de valor inválida"),
            ({"days_min": 30}, "O segmento 'todos' vale para qualquer dívida"),
            ({"creditor": " "}, "Informe o credor"),
        ],
    )
    def test_each_incoherent_edit_is_refused_with_its_reason(self, change: dict[str, Any], says: str) -> None:
        bad = replace(GLOBAL, **change)
        assert any(says in reason for reason in problems(bad)), problems(bad)


class TestStricterOfCrmAndPolicy:
    def test_a_policy_tightens_what_the_crm_allows(self) -> None:
        policy = replace(GLOBAL, max_discount_cash_pct=Decimal(10), min_installment_cents=10_000, max_installments=4)
        t = DebtTerms.from_debtor(debtor(pct="30.00", min_payment="50.00", most=12), policy)
        assert (t.max_discount_pct, t.min_installment_cents, t.max_installments) == (Decimal(10), 10_000, 4)

    def test_a_policy_never_loosens_the_debtors_record(self) -> None:
        policy = replace(GLOBAL, max_discount_cash_pct=Decimal(80), min_installment_cents=100, max_installments=48)
        t = DebtTerms.from_debtor(debtor(pct="30.00", min_payment="50.00", most=12), policy)
        assert (t.max_discount_pct, t.min_installment_cents, t.max_installments) == (Decimal(30), 5_000, 12)

    def test_the_default_policy_changes_nothing(self) -> None:
        d = debtor()
        with_default = DebtTerms.from_debtor(d, DEFAULT_POLICY)
        p = PolicyEngine(with_default, TODAY)
        assert p.cash_offer(2).discount_cents == 30_000
        plan = p.installment_offer(step=2)
        assert plan is not None
        assert plan.discount_cents == 15_000  # half the cash discount, as before
        assert p.first_due(None) == TODAY + timedelta(days=3)
        assert p.down_payment_bounds(0)[0] == max(5_000, (100_000 - 6_000) // 10)


class TestEngineFollowsThePolicy:
    def test_installments_discount_of_its_own(self) -> None:
        t = DebtTerms.from_debtor(debtor(), replace(GLOBAL, max_discount_installments_pct=Decimal(5)))
        plan = PolicyEngine(t, TODAY).installment_offer(count=4, step=2)
        assert plan is not None
        assert plan.discount_cents == 5_000

    def test_required_down_payment_in_every_plan(self) -> None:
        policy = replace(GLOBAL, down_payment_required=True, down_payment_min_pct=Decimal(20))
        p = PolicyEngine(DebtTerms.from_debtor(debtor(), policy), TODAY)
        plan = p.installment_offer(count=5)
        assert plan is not None
        assert plan.installments == 5
        assert plan.down_payment_cents == plan.installment_amounts_cents[0] >= plan.total_cents // 5
        assert p.check(plan) == []
        no_entrada = Offer(
            id="x",
            kind="installments",
            total_cents=100_000,
            discount_cents=0,
            installments=2,
            installment_amounts_cents=[50_000, 50_000],
            due_dates=[TODAY + timedelta(days=3), date(2026, 12, 25) + timedelta(days=31)],
        )
        assert "o credor exige entrada no parcelamento" in p.check(no_entrada)

    def test_the_first_due_date_window(self) -> None:
        policy = replace(GLOBAL, first_due_min_days=5, first_due_default_days=7, first_due_max_days=10)
        p = PolicyEngine(DebtTerms.from_debtor(debtor(), policy), TODAY)
        assert p.first_due(None) == TODAY + timedelta(days=7)
        assert p.first_due(TODAY + timedelta(days=1)) == TODAY + timedelta(days=5)
        assert p.first_due(TODAY + timedelta(days=40)) == TODAY + timedelta(days=10)


pcts = st.decimals(min_value=0, max_value=100, places=2)
policies = st.builds(
    NegotiationPolicy,
    max_discount_cash_pct=pcts,
    max_discount_installments_pct=st.one_of(st.none(), pcts),
    min_installment_cents=st.integers(1, 50_000),
    max_installments=st.integers(1, 72),
    down_payment_required=st.booleans(),
    down_payment_min_pct=st.decimals(min_value=0, max_value=60, places=2),
    down_payment_min_cents=st.integers(0, 100_000),
    first_due_min_days=st.integers(1, 20),
    first_due_default_days=st.integers(0, 20),
    first_due_max_days=st.integers(0, 40),
).map(
    lambda p: replace(
        p,
        max_discount_installments_pct=None
        if p.max_discount_installments_pct is None
        else min(p.max_discount_installments_pct, p.max_discount_cash_pct),
        down_payment_required=p.down_payment_required and p.max_installments >= 2,
        first_due_default_days=max(p.first_due_min_days, p.first_due_default_days),
        first_due_max_days=max(p.first_due_min_days, p.first_due_default_days, p.first_due_max_days),
    )
)
crm_records = st.builds(
    debtor,
    amount=st.integers(1_000, 5_000_000).map(lambda c: f"{c // 100}.{c % 100:02d}"),
    days=st.integers(0, 2000),
    pct=st.decimals(min_value=0, max_value=95, places=2).map(str),
    min_payment=st.integers(1, 500).map(lambda r: f"{r}.00"),
    most=st.integers(1, 72),
)


class TestEveryOfferInsideTheResolvedPolicy:
    @settings(max_examples=400, deadline=None)
    @given(
        policy=policies,
        record=crm_records,
        step=st.integers(0, 5),
        count=st.one_of(st.none(), st.integers(1, 100)),
        budget=st.one_of(st.none(), st.integers(1, 1_000_000)),
        down=st.integers(0, 5_000_000),
        wanted=st.integers(0, 5_000_000),
        days=st.integers(-10, 60),
    )
    def test_no_offer_leaves_the_policy_or_the_crm_limits(
        self,
        policy: NegotiationPolicy,
        record: dict[str, Any],
        step: int,
        count: int | None,
        budget: int | None,
        down: int,
        wanted: int,
        days: int,
    ) -> None:
        assert problems(policy) == []
        resolved = PolicyBook([policy]).resolve("Banco Aurora S.A.", record["days_past_due"], 0)
        t = DebtTerms.from_debtor(record, resolved)
        p = PolicyEngine(t, TODAY)
        due = TODAY + timedelta(days=days)
        offers = [p.cash_offer(step, due), p.cash_offer_for(wanted, due)]
        offers += [o for o in (p.installment_offer(count, budget, step, due), p.down_payment_offer(down, count)) if o]
        crm = record["negotiation_params"]
        for o in offers:
            assert p.check(o) == [], o
            pct_cap = min(policy.max_discount_cash_pct, Decimal(crm["max_discount_percentage"]))
            assert o.discount_cents * 100 <= t.amount_cents * pct_cap
            assert o.installments <= min(policy.max_installments, crm["max_installments"])
            assert policy.first_due_min_days <= (o.due_dates[0] - TODAY).days <= policy.first_due_max_days
            if o.installments > 1:
                assert min(o.installment_amounts_cents) >= max(
                    policy.min_installment_cents, int(Decimal(crm["min_payment_amount"]) * 100)
                )
                if policy.max_discount_installments_pct is not None:
                    assert o.discount_cents * 100 <= t.amount_cents * policy.max_discount_installments_pct
                if policy.down_payment_required:
                    assert o.down_payment_cents == o.installment_amounts_cents[0] > 0
                    assert o.down_payment_cents >= policy.down_payment_min_cents


def context(terms: DebtTerms, today: date = TODAY) -> DebtContext:
    return DebtContext(
        first_name="Ana",
        debt_description="Empréstimo pessoal",
        original_creditor="Banco Aurora S.A.",
        amount_cents=terms.amount_cents,
        due_date=TODAY - timedelta(days=200),
        days_past_due=200,
        terms=terms,
        creditor_name="Certo Recuperadora",
        creditor_cnpj="11.222.333/0001-81",
        today=today,
    )


class TestAChangeMidConversation:
    def test_an_offer_shown_under_the_old_policy_is_not_closed_by_a_yes(self) -> None:
        before = context(DebtTerms.from_debtor(debtor(), DEFAULT_POLICY))
        shown = RULES.decide(before, NegotiationState(), understand("quero à vista", TODAY))
        assert shown.state.pending_offer is not None
        assert shown.state.pending_offer.discount_cents == 12_000  # 40 % of the 30 % at the first step
        # The admin cuts the creditor's cash discount to 5 % before the debtor answers.
        after = context(DebtTerms.from_debtor(debtor(), replace(GLOBAL, max_discount_cash_pct=Decimal(5))))
        heard = understand("sim", TODAY)
        d = guard_agreement(RULES, after, shown.state, heard, RULES.decide(after, shown.state, heard))
        assert d.action != "agreement"
        assert "As condições mudaram desde a proposta anterior" in d.reply
        assert d.state.pending_offer is not None
        assert d.state.pending_offer.discount_cents == 2_000  # 40 % of the new 5 %
        assert PolicyEngine(after.terms, TODAY).check(d.state.pending_offer) == []
        # Asked again, a yes closes the new terms.
        again = RULES.decide(after, d.state, heard)
        assert again.action == "agreement"
        assert again.agreement == d.state.pending_offer

    def test_an_offer_still_inside_a_looser_policy_closes_as_shown(self) -> None:
        before = context(DebtTerms.from_debtor(debtor(), replace(GLOBAL, max_discount_cash_pct=Decimal(5))))
        shown = RULES.decide(before, NegotiationState(), understand("quero à vista", TODAY))
        after = context(DebtTerms.from_debtor(debtor(), DEFAULT_POLICY))
        done = RULES.decide(after, shown.state, understand("sim", TODAY))
        assert done.action == "agreement"
        assert done.agreement == shown.state.pending_offer

    def test_a_yes_days_later_to_an_offer_whose_due_date_passed_gets_fresh_dates(self) -> None:
        terms = DebtTerms.from_debtor(debtor(), DEFAULT_POLICY)
        shown = RULES.decide(context(terms), NegotiationState(), understand("quero à vista", TODAY))
        assert shown.state.pending_offer is not None
        later = TODAY + timedelta(days=10)
        d = RULES.decide(context(terms, later), shown.state, understand("sim", later))
        assert d.action != "agreement"
        assert d.state.pending_offer is not None
        assert d.state.pending_offer.total_cents == shown.state.pending_offer.total_cents
        assert d.state.pending_offer.due_dates[0] > later

    def test_only_the_window_changed_a_new_date_keeps_the_amount_the_debtor_proposed(self) -> None:
        before = context(DebtTerms.from_debtor(debtor(), DEFAULT_POLICY))
        shown = RULES.decide(before, NegotiationState(), understand("consigo pagar 850 à vista", TODAY))
        assert shown.state.pending_offer is not None
        assert shown.state.pending_offer.total_cents == 85_000
        narrow = replace(GLOBAL, first_due_min_days=1, first_due_default_days=2, first_due_max_days=5)
        after = context(DebtTerms.from_debtor(debtor(), narrow))
        d = RULES.decide(after, shown.state, understand("pode ser pro dia 30?", TODAY))
        assert d.state.pending_offer is not None
        assert d.state.pending_offer.total_cents == 85_000
        assert d.state.pending_offer.due_dates[0] == TODAY + timedelta(days=5)
