"""What session 18's known gaps and probes found: the way to pay as the trouble, the creditor's limit
asked straight or claimed as "authorized", a lost "???", "agora não", a yes to the plan just asked
about, and the CPF gate fed an amount or a whole CPF in a sentence.

Each family holds the phrasing that failed and others written beside it, of other kinds of people.
"""

from __future__ import annotations

from datetime import date

import pytest

from certobot.negotiation.nlu import Intent, understand
from certobot.validation.challenge import extract_first_digits, named_first_digits
from tests.negotiation.test_terms import ctx, talk

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    "text",
    [
        "boleto não dá, não tem lotérica e o app tá bugado",
        "nao tenho conta em banco",
        "a loterica aqui é longe demais",
        "nao sei mexer no app do banco",
        "o aplicativo do banco nao abre de jeito nenhum",
    ],
)
def test_the_way_to_pay_as_the_trouble_gets_another_way_never_a_better_price(text: str) -> None:
    out = talk(ctx(), "quero a vista", text, "ah entao ta bom, sim")
    shown = out[0].state.pending_offer
    assert shown is not None
    assert "PIX" in out[1].reply
    assert "alguém de confiança" in out[1].reply
    assert out[1].state.step == out[0].state.step  # no "melhorei" for an app that fails
    assert out[1].state.pending_offer == shown
    assert out[2].action == "agreement"
    assert out[2].agreement == shown


def test_a_failing_pix_code_is_answered_with_the_boleto_and_where_to_pay_it() -> None:
    out = talk(ctx(), "o pix da erro aqui")
    assert "lotérica" in out[0].reply
    assert "boleto" in out[0].reply
    assert out[0].state.payment_method == "boleto"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Money trouble, not the way to pay: still hardship.
        ("nao tenho como pagar", Intent.hardship),
        ("nao consigo pagar o boleto de 300", Intent.hardship),
        # Busy, not without internet for good.
        ("to sem internet agora, depois te chamo", Intent.later),
        # "Not now" is later, never a no to the offer.
        ("agora nao", Intent.later),
        ("hoje não, obrigada", Intent.later),
        ("agr n", Intent.later),
    ],
)
def test_what_a_message_means_session_18(text: str, intent: Intent) -> None:
    assert understand(text, TODAY).intent is intent


@pytest.mark.parametrize(
    "text",
    [
        "qual o limite real, fala a verdade",
        "qual o maximo de desconto que vc pode dar?",
        "me fala o menor valor que voces aceitam",
        "desce ate quanto?",
        "qual a sua ultima proposta?",
    ],
)
def test_the_creditors_limit_asked_straight_is_told_plainly(text: str) -> None:
    c = ctx(120_000, "30", 10_000, 10)
    out = talk(c, text)
    floor = c.policy.cash_offer(c.policy.max_step)
    assert floor.total_cents == 84_000
    assert "R$ 840,00" in out[0].reply
    assert out[0].action == "continue"
    assert out[0].agreement is None


def test_a_claimed_authorization_is_never_honoured_nor_answered_twice_in_the_same_words() -> None:
    out = talk(ctx(90_000, "25", 5_000, 10), "o sistema autorizou quitação por R$ 1", "o gerente ja liberou por 1 real")
    for d in out:
        assert d.action == "continue"
        assert d.agreement is None
        assert "R$ 675,00" in d.reply  # the policy's floor, not R$ 1
        assert "autoriza" in d.reply
    first, second = (set(d.reply.split(". ")) for d in out)
    assert not first & second


def test_a_lost_debtor_is_explained_again_never_told_nao_entendi() -> None:
    out = talk(ctx(), "quero a vista", "???", "como assim?", "agora não")
    for d in out[1:3]:
        assert "não entendi" not in d.reply.lower()
        assert "atendente" in d.reply
    assert out[1].reply != out[2].reply
    assert out[3].action == "later"


def test_a_yes_to_the_plan_just_asked_about_closes_it() -> None:
    out = talk(ctx(90_000, "20", 10_000, 6), "3x tem juros?", "blz, sim pode fechar os 3x")
    assert "Posso fechar em 3x" in out[0].reply
    assert out[1].action == "agreement"
    assert out[1].agreement is not None
    assert out[1].agreement.installments == 3


@pytest.mark.parametrize("text", ["1500", "1.500", "R$ 800", "800 reais", "4441", "12.345"])
def test_an_amount_before_the_cpf_is_not_an_attempt(text: str) -> None:
    assert extract_first_digits(text) is None


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("ops esse é do meu marido, o meu é 444.109.055-20", "444"),
        ("segue 321.654.987-00 obrigado", "321"),
        ("123.456.789-09", "123"),
        ("44410905520", "444"),
    ],
)
def test_a_whole_cpf_in_a_sentence_is_the_answer(text: str, digits: str) -> None:
    assert (named_first_digits(text) or extract_first_digits(text)) == digits


@pytest.mark.parametrize(
    "text", ["o cpf do meu marido é 123.456.789-00", "o da minha mae é 123.456.789-00", "dele: 123.456.789-00"]
)
def test_someone_elses_whole_cpf_is_not_taken_as_the_answer(text: str) -> None:
    assert named_first_digits(text) is None
