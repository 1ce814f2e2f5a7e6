"""What session 20's five held-out probes found (replies to the opening, unusual ways to pay, dates,
changing minds around the yes, who is really typing), each family with phrasings of other people.
"""

from __future__ import annotations

from datetime import date

import pytest

from certobot.negotiation import after_deal
from certobot.negotiation.after_deal import AfterDeal
from certobot.negotiation.nlu import Intent, understand
from tests.negotiation.test_terms import ctx, talk

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    "ask",
    [
        "so pra eu saber, nao vou fechar nada agora: em 4x quanto fica?",
        "sem compromisso, quanto fica a vista?",
        "só queria saber quanto fica em 6x, tá?",
        "por curiosidade, e em 10x?",
        "Apenas para me informar: qual o valor parcelado em 5 vezes?",
    ],
)
def test_terms_asked_only_to_know_are_told_and_a_later_ok_closes_nothing(ask: str) -> None:
    told, ok, go, yes = talk(ctx(), ask, "ok", "pode fechar", "sim")
    assert told.state.pending_offer is not None
    assert "R$" in told.reply
    assert "sem compromisso" in told.reply.lower()
    assert not told.state.awaiting_confirmation
    assert ok.agreement is None
    assert not ok.state.awaiting_confirmation  # heard, and nothing waits for a yes
    assert go.agreement is None
    assert go.state.awaiting_confirmation  # "pode fechar": the terms put back, the yes asked for once
    assert yes.action == "agreement"
    assert yes.agreement == told.state.pending_offer


@pytest.mark.parametrize(
    ("looking", "ack"),
    [
        ("quanto fica pra quitar a vista? é pra ver, to com proposta de outra empresa tbm", "ok"),
        ("queria simular umas opção pra mostrar pro meu marido", "certo"),
        ("não vou fechar nada hoje tá, só quero entender os números", "entendi"),
    ],
)
def test_someone_only_looking_is_never_closed_by_an_acknowledgement_later(looking: str, ack: str) -> None:
    out = talk(ctx(), looking, "e em 10x fica quanto cada", ack)
    assert out[1].state.pending_offer is not None
    assert all(d.agreement is None for d in out)
    assert not out[2].state.awaiting_confirmation


def test_an_ok_to_terms_other_than_the_ones_asked_is_asked_again_plainly() -> None:
    shown, ack, yes = talk(ctx(most=8), "se for em 12x eu fecho", "Certo.", "sim")
    assert "Não consigo em 12x" in shown.reply
    assert ack.agreement is None
    assert "topa" in ack.reply
    assert yes.action == "agreement"


@pytest.mark.parametrize(
    "who",
    [
        "ah ta. e ele consegue parcelar isso? ele ta desempregado faz tempo",
        "pera, meu marido vai continuar aqui que ele entende mais dessas coisas",
        "vou passar o celular pro meu filho, ele que resolve essas coisas",
        "a minha esposa vai negociar no meu lugar",
    ],
)
def test_someone_else_at_the_phone_after_the_cpf_hears_no_figures_until_the_titular_is_back(who: str) -> None:
    shown, other, haggle, yes, back = talk(
        ctx(), "quero em 3x", who, "faz 600 a vista que eu pago agora", "sim", "sou eu de novo"
    )
    assert shown.state.awaiting_confirmation
    assert "titular" in other.reply
    assert "R$" not in other.reply
    assert other.state.other_typing
    assert not other.state.awaiting_confirmation
    for turn in (haggle, yes):
        assert "R$" not in turn.reply
        assert turn.agreement is None
        assert turn.action == "continue"
    assert "R$" in back.reply
    assert not back.state.other_typing


@pytest.mark.parametrize(
    "relayed", ["ela ta dizendo que sim, que quer as 4", "ele falou que pode fechar", "minha mãe disse que sim"]
)
def test_a_yes_passed_on_by_someone_else_asks_the_titular_and_her_own_yes_closes(relayed: str) -> None:
    shown, passed, own = talk(ctx(), "quero em 4x", relayed, "aqui é a Ana de novo, eu mesma. sim, aceito")
    assert passed.agreement is None
    assert "titular" in passed.reply
    assert passed.state.pending_offer == shown.state.pending_offer
    assert own.action == "agreement"
    assert own.agreement == shown.state.pending_offer


@pytest.mark.parametrize(
    "question",
    [
        "ok entendi. mas e se eu atrasar uma parcela oq acontece? cancela tudo?",
        "e se eu nao conseguir pagar um mes?",
        "o que acontece se eu atrasar?",
    ],
)
def test_a_question_about_paying_late_is_answered_and_the_terms_stay(question: str) -> None:
    shown, answered = talk(ctx(), "faz em 6x pra mim", question)
    assert "10 dias" in answered.reply
    assert answered.state.pending_offer == shown.state.pending_offer  # never "passei pra 2x"
    assert answered.agreement is None


@pytest.mark.parametrize(
    "text",
    [
        "mas pera esse emprestimo nem é meu, é do meu cunhado. eu so assinei d avalista em 2022",
        "eu fui fiadora da minha irmã, por isso tão me cobrando?",
    ],
)
def test_a_guarantor_hears_why_the_debt_reaches_them_and_how_to_contest(text: str) -> None:
    (d,) = talk(ctx(), text)
    assert "avalista" in d.reply
    assert "contestação" in d.reply
    assert "R$" in d.reply
    assert d.agreement is None


@pytest.mark.parametrize(
    "text",
    ["que conta de luz? eu pago a minha em dia, todo mes no debito automatico", "qual divida? eu pago tudo em dia"],
)
def test_which_debt_is_answered_with_the_debt_and_no_plan_to_confirm(text: str) -> None:
    _shown, asked = talk(ctx(), "quero em 6x", text)
    assert "Banco Aurora" in asked.reply
    assert "contestação" in asked.reply
    assert not asked.state.awaiting_confirmation  # "todo mês" is not a plan to say yes to


def test_a_due_date_asked_with_the_choice_is_the_offers_own_and_a_plain_yes_closes() -> None:
    asked, yes = talk(ctx(), "a vista entao. vence quando?", "ta bom so, pode fechar a vista")
    shown = asked.state.pending_offer
    assert shown is not None
    assert shown.kind == "cash"
    assert f"{shown.due_dates[0]:%d/%m/%Y}" in asked.reply
    assert asked.state.awaiting_confirmation
    assert yes.action == "agreement"


def test_the_furthest_date_asked_after_an_offer_moves_that_offer() -> None:
    shown, moved = talk(ctx(), "quero em 10x", "entao poe na data mais longe q vcs conseguirem")
    before, after = shown.state.pending_offer, moved.state.pending_offer
    assert before is not None
    assert after is not None
    assert after.installments == 10
    assert after.due_dates[0] > before.due_dates[0]
    assert moved.state.awaiting_confirmation


@pytest.mark.parametrize(
    "text",
    [
        "Tem como colocar em débito automático na minha conta do Banrisul?",
        "vcs aceitam o fgts? tipo vcs puxam direto do meu fgts",
        "Não uso pix. E no cartão de débito, vocês passam?",
        "da pra descontar direto do salario?",
    ],
)
def test_other_means_of_payment_get_boleto_or_pix_and_never_a_better_price(text: str) -> None:
    shown, answered = talk(ctx(), "quero a vista", text)
    assert "boleto" in answered.reply
    assert "PIX" in answered.reply
    assert answered.state.step == shown.state.step
    assert answered.state.payment_method == "boleto"


@pytest.mark.parametrize(
    "text",
    [
        "oii bom diaa!! é sobre a vaga de atendente? mandei curriculo semana passada",
        "fala logo o assunto q to ocupado aqui na oficina",
        "do que se trata?",
        "vcs vao pedir senha? codigo do zap? num vou passar nada disso",
    ],
)
def test_who_is_writing_is_the_answer_never_a_hand_off_or_a_later(text: str) -> None:
    assert understand(text, TODAY).intent is Intent.identity_question


def test_good_news_of_a_job_is_not_a_question_about_a_vacancy() -> None:
    assert understand("graças a Deus consegui uma vaga", TODAY).intent is not Intent.identity_question


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("isso ai eu ja paguei. quitei tudo no caixa da loja em marco", date(2026, 3, 10)),
        ("ja paguei dia 28", date(2026, 10, 28)),
    ],
)
def test_a_payment_told_is_in_the_past(text: str, when: date) -> None:
    heard = understand(text, TODAY)
    assert heard.intent is Intent.already_paid
    assert heard.day == when


@pytest.mark.parametrize(
    "text",
    [
        "o seguinte, consigo dar 300 agora e o resto eu quito quando cair o 13o, la pra dezembro",
        "pago 300 hoje e o restante em 5x",
    ],
)
def test_part_now_and_the_rest_later_is_an_entrada_not_a_promise(text: str) -> None:
    heard = understand(text, TODAY)
    assert heard.down_payment_cents == 30_000
    assert heard.intent is Intent.installments


@pytest.mark.parametrize("yes", ["Sim, pode confirmar.", "eh, pode fechar essa de 10", "isso 10x, pode trocar"])
def test_plain_yeses_of_more_people_close(yes: str) -> None:
    shown, done = talk(ctx(), "quero em 10x", yes)
    assert done.action == "agreement"
    assert done.agreement == shown.state.pending_offer


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "Uma dúvida: se neste mês eu conseguir pagar a 1ª e a 2ª parcela juntas, tem algum problema?",
            AfterDeal.early_payment,
        ),
        ("posso pagar duas parcelas de uma vez?", AfterDeal.early_payment),
        ("e o boleto vem no nome de quem? pra eu ver se nao é golpe antes de pagar", AfterDeal.beneficiary),
        ("quem é o beneficiário que vai aparecer?", AfterDeal.beneficiary),
        ("depois q eu pagar vcs me mandam a declaracao de quitacao? a caixa vai pedir", AfterDeal.discharge),
        ("preciso de um nada consta pro financiamento", AfterDeal.discharge),
    ],
)
def test_after_the_deal_paying_ahead_the_beneficiary_and_the_discharge_are_answered(text: str, kind: AfterDeal) -> None:
    assert after_deal.read(text) is kind
    if kind is not AfterDeal.early_payment:
        assert "Certo" in after_deal.say(kind, 0, creditor="Certo Recuperadora")


@pytest.mark.parametrize(
    "text", ["boleto nao. pix. nao tenho como ir em loterica", "nao quero boleto, faz no pix que é mais facil pra mim"]
)
def test_pix_chosen_over_the_boleto_is_a_way_to_pay_never_hardship_nor_a_better_price(text: str) -> None:
    shown, chosen = talk(ctx(), "quero pagar a vista", text)
    assert chosen.state.payment_method == "pix"
    assert chosen.state.step == shown.state.step


@pytest.mark.parametrize(
    "text",
    [
        "ok. manda o boleto no zap dela que ela paga la do banco, o numero é 71 99123-4567",
        "manda pro whats do meu filho que ele paga",
    ],
)
def test_documents_asked_for_another_number_before_the_deal_go_only_here(text: str) -> None:
    _, asked = talk(ctx(), "quero pagar a vista", text)
    assert "só pra este número" in asked.reply
    assert asked.agreement is None


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("o meu rei eu so vou ter dinheiro depois do carnaval", date(2027, 2, 11)),
        ("da pra deixar o primeiro boleto pra depois das festas?", date(2027, 1, 2)),
        ("so depois do natal", date(2026, 12, 26)),
    ],
)
def test_a_season_named_is_a_date(text: str, when: date) -> None:
    assert understand(text, TODAY).day == when


def test_the_cnpj_on_the_boleto_asked_after_the_deal_is_the_beneficiary_answer() -> None:
    assert after_deal.read("o boleto sai no mesmo CNPJ que vc me passou né?") is AfterDeal.beneficiary


@pytest.mark.parametrize(
    "intro",
    [
        "boa tarde aqui é a Rosilene esposa dele. ele ta na estrada e me falou pra fechar em 5 vezes",
        "e ai, sou o Wander irmao dela. qual a taxa de juros q ta cobrando e qnto fica a vista?",
        "boa tarde aqui quem escreve é a Lurdes, cuidadora da senhora. ela mandou dizer que aceita",
        "AQUI É O MARIDO DELA. ELA NAO VAI PAGAR NADA",
    ],
)
def test_someone_introducing_themselves_as_the_titulars_relative_hears_nothing(intro: str) -> None:
    _, other = talk(ctx(), "quero em 5x", intro)
    assert other.action == "third_party"
    assert "R$" not in other.reply
    assert other.agreement is None


@pytest.mark.parametrize(
    "back",
    ["AQUI É A Ana MESMO ESCREVENDO DEVAGAR", "oi desculpa era meu marido, quero resolver", "sou eu de novo, Ana"],
)
def test_the_titular_saying_she_is_back_is_heard_as_back(back: str) -> None:
    assert understand(back, TODAY).back_in_person


def test_someone_else_paying_keeps_the_terms_and_the_documents_stay_here() -> None:
    shown, asked, go = talk(
        ctx(),
        "consigo em 3x?",
        "meu pai q vai pagar pra mim. manda os boleto direto no zap dele? 61 99654-3321",
        "ah blz entao manda aqui msm q eu encaminho pra ele",
    )
    assert "só pra este número" in asked.reply
    assert asked.state.pending_offer == shown.state.pending_offer
    assert asked.state.awaiting_confirmation
    assert go.agreement is None
    assert go.state.awaiting_confirmation
    assert "não peguei" not in go.reply
    assert "não entendi" not in go.reply
