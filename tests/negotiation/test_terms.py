"""What gets agreed: a deal closes only on a plain yes to the terms just shown, and a counter-offer
gets the nearest feasible offer or a clear "não consigo X; o mínimo/máximo é Y"."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certobot.negotiation.brain import CONFIRM_QUESTIONS, DebtContext, NegotiationState, OfflineNegotiator, TurnDecision
from certobot.negotiation.flow import guard_agreement
from certobot.negotiation.nlu import understand
from certobot.negotiation.policy import DebtTerms

TODAY = date(2026, 11, 22)
RULES = OfflineNegotiator()


def ctx(amount_cents: int = 200_000, max_discount: str = "30", min_inst: int = 5_000, most: int = 12) -> DebtContext:
    t = DebtTerms(amount_cents, Decimal(max_discount), min_inst, most, 400)
    return DebtContext(
        first_name="Ana",
        debt_description="Empréstimo pessoal",
        original_creditor="Banco Aurora",
        amount_cents=amount_cents,
        due_date=TODAY - timedelta(days=400),
        days_past_due=400,
        terms=t,
        creditor_name="Certo Recuperadora",
        creditor_cnpj="11.222.333/0001-81",
        today=TODAY,
    )


def talk(c: DebtContext, *messages: str) -> list[TurnDecision]:
    state, out = NegotiationState(), []
    for m in messages:
        d = guard_agreement(RULES, c, state, understand(m, TODAY), RULES.decide(c, state, understand(m, TODAY)))
        out.append(d)
        state = d.state
    return out


class TestPlainYes:
    def test_a_plain_yes_closes_exactly_the_terms_shown(self) -> None:
        shown, done = talk(ctx(), "quero à vista", "sim")
        assert done.action == "agreement"
        assert done.agreement == shown.state.pending_offer

    @pytest.mark.parametrize(
        "answer",
        [
            "pode ser mas só consigo no dia 5",
            "fechado, mas no pix",
            "isso, fecha com 90%",
            "beleza, só que em 3x",
            "sim, mas dou 500 de entrada",
            "fechou mas pago 1200",
            "ok mas dia 20/12",
            "pode ser, desde que seja no boleto parcelado em 4 vezes",
            "aceito se for em 10x",
            "ss bora mas so dia 28",
        ],
    )
    def test_a_yes_that_changes_anything_is_a_new_proposal(self, answer: str) -> None:
        _shown, reply = talk(ctx(), "quero à vista", answer)
        assert reply.action == "continue"
        assert reply.state.awaiting_confirmation  # asked again
        assert any(q in reply.reply for q in CONFIRM_QUESTIONS)

    def test_the_changed_date_is_the_one_asked_again(self) -> None:
        _, reply = talk(ctx(), "quero à vista", "pode ser mas só consigo no dia 5")
        offer = reply.state.pending_offer
        assert offer is not None
        assert offer.due_dates[0] == date(2026, 12, 5)
        assert "05/12/2026" in reply.reply

    def test_a_discount_beyond_the_limit_is_named_with_the_maximum(self) -> None:
        _, reply = talk(ctx(), "quero à vista", "isso, fecha com 90%")
        assert "Não consigo 90% de desconto; o máximo é 30%" in reply.reply
        assert reply.state.pending_offer is not None
        assert reply.state.pending_offer.total_cents == 140_000

    def test_a_yes_with_an_unspoken_condition_is_asked_again(self) -> None:
        _, reply = talk(ctx(), "quero à vista", "sim, mas tenho que falar com meu marido")
        assert reply.action == "continue"
        assert "exatamente assim" in reply.reply

    def test_after_the_new_proposal_a_plain_yes_closes_it(self) -> None:
        _, new, done = talk(ctx(), "quero à vista", "pode ser mas no dia 5", "fechado")
        assert done.action == "agreement"
        assert done.agreement == new.state.pending_offer


class TestCounterOffers:
    def test_a_cash_total_within_the_limits_is_taken(self) -> None:
        (d,) = talk(ctx(), "1500 à vista")
        assert d.state.pending_offer is not None
        assert d.state.pending_offer.total_cents == 150_000

    def test_a_cash_total_below_the_minimum_names_the_minimum(self) -> None:
        (d,) = talk(ctx(), "consigo 1000 à vista")
        assert "Não consigo fechar à vista por R$ 1.000,00; o mínimo à vista é R$ 1.400,00" in d.reply

    @pytest.mark.parametrize(
        "text",
        [
            "te dou 600 e a gente esquece o resto",
            "pago 600 reais agora pra encerrar essa divida",
            "fecho por 600 e fica tudo certo",
            "ofereço 600 pra zerar",
            "dou 600 e pronto",
            "te pago 600 por tudo",
        ],
    )
    def test_a_lump_sum_below_the_minimum_is_refused_by_name_not_turned_into_installments(self, text: str) -> None:
        (d,) = talk(ctx(), text)
        assert "Não consigo fechar à vista por R$ 600,00; o mínimo à vista é R$ 1.400,00" in d.reply
        offer = d.state.pending_offer
        assert offer is not None
        assert offer.kind == "cash"
        assert offer.total_cents == 140_000  # the nearest feasible: the minimum at once

    def test_a_monthly_amount_to_settle_stays_monthly(self) -> None:
        (d,) = talk(ctx(), "posso pagar 200 por mes pra quitar")
        offer = d.state.pending_offer
        assert offer is not None
        assert offer.kind == "installments"
        assert offer.installment_amounts_cents[-1] <= 20_000

    def test_a_refusal_at_the_floor_does_not_claim_a_better_offer(self) -> None:
        _, d = talk(ctx(), "te dou 600 e a gente esquece o resto", "nao da")
        assert "melhor" not in d.reply.lower()
        assert "melhorei" not in d.reply.lower()
        assert "mínimo" in d.reply

    @pytest.mark.parametrize("text", ["só consigo 1 real", "consigo 1 real por mes", "dou 1 real"])
    def test_one_real_is_answered_with_the_minimums(self, text: str) -> None:
        (d,) = talk(ctx(), text)
        assert "Não consigo" in d.reply
        assert "R$ 50,00" in d.reply  # the smallest installment
        assert d.state.pending_offer is not None

    def test_too_many_installments_names_the_maximum(self) -> None:
        (d,) = talk(ctx(), "da pra fazer em 48x?")
        assert "Não consigo em 48x; o máximo é 12x" in d.reply

    def test_down_payment_and_the_rest_in_installments(self) -> None:
        (d,) = talk(ctx(), "dou 500 de entrada e o resto em 5x")
        offer = d.state.pending_offer
        assert offer is not None
        assert offer.down_payment_cents == 50_000
        assert offer.installments == 6
        assert offer.installment_amounts_cents[0] == 50_000
        assert sum(offer.installment_amounts_cents) == offer.total_cents
        assert "entrada de R$ 500,00" in d.reply

    def test_a_tiny_down_payment_names_the_least(self) -> None:
        (d,) = talk(ctx(), "dou 10 reais de entrada e o resto em 10x")
        assert "Não consigo entrada de R$ 10,00; a mínima é" in d.reply


class TestNoCheerWithoutAgreement:
    @pytest.mark.parametrize(
        "messages",
        [
            ("não",),
            ("quero em 100x",),
            ("só consigo 1 real",),
            ("quero à vista", "não"),
            ("vai se ferrar",),
            ("1500 à vista", "não quero"),
        ],
    )
    def test_no_perfeito_or_show_unless_agreed(self, messages: tuple[str, ...]) -> None:
        for d in talk(ctx(), *messages):
            assert d.action != "agreement"
            assert "Perfeito" not in d.reply
            assert "Show" not in d.reply


MESSAGES = st.sampled_from(
    [
        "sim",
        "fechado",
        "bora",
        "não",
        "quero à vista",
        "parcelado",
        "pode ser",
        "ok",
        "prefiro pix",
        "no boleto",
        "tô desempregado",
    ]
) | st.builds(
    lambda yes, change: f"{yes} {change}",
    st.sampled_from(["sim", "pode ser", "fechado", "ok", "isso", "beleza", "", "quero"]),
    st.one_of(
        st.integers(1, 31).map(lambda d: f"mas dia {d}"),
        st.integers(1, 60).map(lambda n: f"em {n}x"),
        st.integers(1, 5000).map(lambda v: f"pago {v} reais"),
        st.integers(1, 3000).map(lambda v: f"dou {v} de entrada"),
        st.integers(1, 100).map(lambda p: f"com {p}%"),
        st.integers(100, 3000).map(lambda v: f"{v} à vista"),
        st.sampled_from(["no pix", "no boleto", "à vista", "parcelado"]),
    ),
)


class TestProperty:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(MESSAGES, min_size=1, max_size=8),
        st.integers(50_000, 900_000),
        st.sampled_from(["0", "10", "30", "50"]),
    )
    def test_no_agreement_differs_from_the_last_terms_shown(
        self, messages: list[str], amount: int, discount: str
    ) -> None:
        c = ctx(amount_cents=amount, max_discount=discount)
        state = NegotiationState()
        for m in messages:
            heard = understand(m, TODAY)
            d = guard_agreement(RULES, c, state, heard, RULES.decide(c, state, heard))
            if d.action == "agreement":
                assert state.awaiting_confirmation
                assert d.agreement is not None
                assert state.pending_offer is not None
                assert d.agreement.terms_key() == state.pending_offer.terms_key()
                assert not c.policy.check(d.agreement)
                return
            if d.state.pending_offer is not None:
                assert not c.policy.check(d.state.pending_offer)
            state = d.state

    @settings(max_examples=200, deadline=None)
    @given(st.lists(MESSAGES, min_size=1, max_size=6), st.data())
    def test_a_model_that_closes_on_anything_is_held_to_the_terms_shown(
        self, messages: list[str], data: st.DataObject
    ) -> None:
        """A wording engine that declares an agreement on any message, on any offer it likes."""
        c = ctx()
        state = NegotiationState()
        for m in messages:
            heard = understand(m, TODAY)
            honest = RULES.decide(c, state, heard)
            fake_offer = data.draw(
                st.sampled_from(
                    [o for o in (state.pending_offer, c.policy.cash_offer(2), c.policy.installment_offer(3)) if o]
                )
            )
            claimed = honest.model_copy(update={"action": "agreement", "agreement": fake_offer})
            d = guard_agreement(RULES, c, state, heard, claimed)
            if d.action == "agreement":
                assert state.awaiting_confirmation
                assert state.pending_offer is not None
                assert d.agreement is not None
                assert d.agreement.terms_key() == state.pending_offer.terms_key()
                return
            state = d.state
