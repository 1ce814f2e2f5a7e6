"""What session 17's held-out probe found misread, across kinds of people rather than the probe's lines.

Each family holds the probe's phrasing and others written beside it: questions that start like a yes
("isso dá quantos por cento?"), a "não me liga" that was heard as "me liga", wanting to vanish heard as
"change", a hospital bed answered with an offer, a charge already agreed elsewhere answered with a better
offer, "1k" and "1000 eu consigo" not heard as amounts, and CPF digits said in a sentence.
"""

from __future__ import annotations

from datetime import date

import pytest

from certobot.negotiation.nlu import Intent, understand
from certobot.validation.challenge import extract_first_digits, named_first_digits
from certokit.money import brl
from tests.negotiation.test_terms import ctx, talk

TODAY = date(2026, 11, 22)


def heard(text: str) -> Intent:
    return understand(text, TODAY).intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # No calls either: the opposite of "me liga".
        ("E NAO ME LIGA TB", Intent.opt_out),
        ("nem me liguem, ja falei", Intent.opt_out),
        ("nao me telefona mais", Intent.opt_out),
        ("pode me ligar?", Intent.human),
        ("prefiro que vc me ligue", Intent.human),
        # Wanting to vanish is despair; vanishing from the world is a crisis.
        ("as vezes queria sumir sabe, sumir msm. to cansado", Intent.distress),
        ("so queria sumir um pouco de tudo", Intent.distress),
        ("queria sumir desse mundo", Intent.crisis),
        # In hospital or under treatment: cared for first.
        ("moca to internado no hospital, fiz cirurgia e deu complicacao", Intent.distress),
        ("to na uti com meu filho", Intent.distress),
        ("estou fazendo quimio, nao consigo pensar nisso", Intent.distress),
        ("tive um avc mes passado", Intent.distress),
        # ...but a relative in hospital with money tight, or being ill and out of work, is hardship.
        ("minha mãe tá internada e tá difícil", Intent.hardship),
        ("tô doente, não consigo trabalhar", Intent.hardship),
        # Charged twice, or already agreed with another collector: a dispute, never a better offer.
        ("como assim vcs tao cobrando de novo? isso e cobranca em dobro", Intent.dispute),
        ("ja fiz acordo com outra assessoria e to pagando certinho", Intent.dispute),
        ("nao vou pagar duas vezes a mesma coisa", Intent.dispute),
        # A legal threat said in anger is recorded as the threat.
        ("um absurdo isso, ja falei com meu advogado", Intent.legal_threat),
        ("palhacada, vou no procon amanha", Intent.legal_threat),
        # Wanting to negotiate, said plainly ("negociar" is what an opted-out person is told to write).
        ("negociar", Intent.debt_question),
        ("quero fazer um acordo", Intent.debt_question),
        ("quero limpar meu nome", Intent.debt_question),
        ("nao quero negociar", Intent.refuse),
        # Busy, but asking what it is: a question, not "later".
        ("oi to no trampo agr, é rapidinho?", Intent.debt_question),
        ("foi mal to dirigindo, oq é?", Intent.debt_question),
        ("to dirigindo, depois falo", Intent.later),
        # Someone else's CPF typed in.
        ("o cpf do meu marido é 123", Intent.third_party),
        ("eu que cuido das contas dele", Intent.third_party),
    ],
)
def test_what_a_message_means(text: str, intent: Intent) -> None:
    assert heard(text) is intent


@pytest.mark.parametrize(
    "text",
    [
        "isso da qntos por cento de desconto?",
        "quantos % é o desconto?",
        "o desconto é de quanto?",
        "e isso da quanto de desconto",
        "qual a porcentagem do desconto?",
    ],
)
def test_a_question_about_the_discount_is_a_question_not_a_yes(text: str) -> None:
    u = understand(text, TODAY)
    assert (u.intent, u.asks_percent, u.accepts) == (Intent.debt_question, True, False)


@pytest.mark.parametrize(
    "text",
    [
        "se eu pagar meu nome sai do serasa e do spc? preciso limpar o nome pra financiar uma moto",
        "quando eu pagar eles tiram meu nome do spc?",
        "em quanto tempo limpa meu nome?",
        "isso me tira do serasa?",
    ],
)
def test_a_question_about_the_negativacao_is_answered_not_heard_as_hardship(text: str) -> None:
    u = understand(text, TODAY)
    assert (u.intent, u.asks_bureau) == (Intent.debt_question, True)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("mano tenho 1k guardado, se eu te passar 1k a vista quita tudo?", 100_000),
        ("consigo 1,5k a vista", 150_000),
        ("tenho 2 mil pra quitar", 200_000),
        ("consigo dois mil a vista", 200_000),
        ("e 1000? 1000 eu consigo", 100_000),
        ("1100 e fecho agora, ultima proposta", 110_000),
        ("que tal 800?", 80_000),
    ],
)
def test_amounts_as_people_write_them(text: str, cents: int) -> None:
    assert understand(text, TODAY).amount_cents == cents


@pytest.mark.parametrize("text", ["123", "é 123", "e 123", "1 2 3", "os 3 primeiros sao 184"])
def test_an_answer_to_the_cpf_question_is_never_an_amount(text: str) -> None:
    u = understand(text, TODAY)
    assert u.amount_cents is None
    assert extract_first_digits(text) is not None


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("o meu cpf e 4 4 4", "444"),
        ("oi boa tarde aqui é a Rosângela o meu cpf começa com 496 e queria parcelar em 10 vezes", "496"),
        ("cpf: 123.456", "123"),
        ("meu cpf 987", "987"),
        ("meu cpf termina com 123", None),  # the last digits are not the challenge
        ("o cpf do meu marido é 123", None),
        ("pra que o cpf?", None),
    ],
)
def test_digits_named_as_the_cpfs(text: str, digits: str | None) -> None:
    assert named_first_digits(text) == digits


def test_the_discount_asked_in_percent_is_the_pending_offers_rounded_down() -> None:
    out = talk(ctx(200_000, "40", 10_000, 10), "qro pagar a vista", "isso da qntos por cento de desconto?")
    assert "16% de desconto" in out[1].reply
    assert out[1].state.awaiting_confirmation  # still the same offer, still waiting for a yes
    assert out[1].action == "continue"


def test_cash_chosen_after_a_hardship_offer_is_the_hardship_price() -> None:
    out = talk(ctx(65_000, "25", 6_000, 6), "quero pagar a vista", "nao", "to desempregada, ta dificil", "a vista")
    shown, chosen = out[2].reply, out[3].state.pending_offer
    assert chosen is not None
    assert f"à vista por {brl(chosen.total_cents)}" in shown  # the price shown is the one to confirm
    assert chosen.total_cents < out[0].state.pending_offer.total_cents  # never the older, dearer one


def test_after_a_claimed_payment_a_no_or_an_ok_gets_no_offer() -> None:
    out = talk(ctx(120_000, "30", 10_000, 10), "ja paguei semana passada", "nao vou pagar de novo nao", "ok")
    for d in out[1:]:
        assert "R$" not in d.reply
        assert d.state.pending_offer is None


def test_both_ways_asked_for_get_both_totals() -> None:
    out = talk(ctx(150_000, "30", 10_000, 10), "qnto da o total a vista e qnto da se eu parcelar?")
    assert "À vista" in out[0].reply
    assert "Parcelado" in out[0].reply
    assert not out[0].state.awaiting_confirmation  # nothing to say yes to yet: they choose


# --- the second round: how people write, hard bargaining, trust (probes D, E and F) ----------------


@pytest.mark.parametrize(
    "text",
    [
        "ah bão, pode fechar entao uai",
        "pô, fechou parceiro, manda ai",
        "Perfeitamente. Estou de acordo com as condições apresentadas. Podem emitir o boleto, por gentileza.",
        "pdp, fechou 🤙",
        "sin pode fexar",
        "intao ta bom pode fase",
        "oxe, pode fechar visse",
        "bah, fechado tchê",
    ],
)
def test_a_plain_yes_in_regional_formal_or_misspelt_words_closes(text: str) -> None:
    u = understand(text, TODAY)
    assert u.accepts
    assert u.plain


@pytest.mark.parametrize(
    "text",
    [
        "fechou kkkkk vai sonhando",
        "claro, com o dinheiro que eu nao tenho",
        "fechado, quando eu ganhar na mega",
    ],
)
def test_irony_is_still_not_a_plain_yes(text: str) -> None:
    assert not understand(text, TODAY).plain


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("fala", Intent.greeting),  # "go ahead", never a request for a person
        ("se eu parcelar em 10x tem juros? ja fui enganada uma vez", Intent.breakdown),  # not "wrong number"
        ("vcs se enganaram de pessoa", Intent.wrong_person),
        ("bah, vou falar com a patroa antes e te dou um retorno amanha", Intent.later),
        ("vou pedir pro meu neto ver isso comigo no domingo", Intent.later),
        ("aqui nao e ela nao, e o filho dela. esse cel e da minha mae", Intent.third_party),
        ("antes de pagar quero ver o contrato com minha assinatura", Intent.dispute),
        ("so pago com o papel na mao", Intent.dispute),
        ("manda uma foto sua ai", Intent.bot_question),
        ("vc é casada?", Intent.bot_question),
        ("😢💸", Intent.hardship),
        ("me passa meu cpf completo ai?", Intent.cpf_why),
        ("Sou advogado e represento o titular, tenho procuração", Intent.third_party),
    ],
)
def test_what_a_message_means_second_round(text: str, intent: Intent) -> None:
    assert heard(text) is intent


def test_a_photo_of_something_else_is_not_flirting() -> None:
    assert heard("manda foto do gato") is not Intent.bot_question


@pytest.mark.parametrize(
    ("text", "count"),
    [("6 vez quanto fica, tchê?", 6), ("dez ves de cem real", 10), ("ta, vai nas 4 entao", 4), ("uma vez so", None)],
)
def test_counts_as_people_write_them(text: str, count: int | None) -> None:
    assert understand(text, TODAY).installments == count


def test_phonetic_hundreds_and_once_are_a_cash_amount() -> None:
    u = understand("nao tem cumo paga tudo di uma ves, so tenho quinhentu reau agora. da pra quita cum isso?", TODAY)
    assert (u.amount_cents, u.wants_cash, u.installments) == (50_000, True, None)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("so consigo daqui uns 2 meses", date(2027, 1, 22)),
        ("daqui 10 dias", date(2026, 12, 2)),
        ("pode ser la pra fevereiro?", date(2027, 2, 10)),
        ("so no fim de janeiro", date(2027, 1, 28)),
    ],
)
def test_far_dates_as_people_say_them(text: str, day: date) -> None:
    assert understand(text, TODAY).day == day


def test_a_first_due_date_beyond_the_window_is_named_with_the_furthest() -> None:
    out = talk(ctx(120_000, "20", 10_000, 10), "so consigo daqui uns 2 meses, pode o primeiro boleto so pra la?")
    assert "o mais longe que consigo é" in out[0].reply


def test_asking_about_interest_on_installments_gets_the_plans_fixed_total() -> None:
    out = talk(ctx(100_000, "20", 10_000, 10), "se eu parcelar em 10x tem juros?")
    assert "Não tem juros" in out[0].reply
    assert "10x de R$ 100,00" in out[0].reply


def test_another_persons_debt_is_declined_and_the_titulars_goes_on() -> None:
    out = talk(
        ctx(54_000, "20", 5_000, 6),
        "e a divida da minha mae, quanto e? ela tb deve pra vcs",
        "ta bom, entao a minha faz em 3x",
        "fechado",
    )
    assert out[0].action == "continue"
    assert "outra pessoa" in out[0].reply
    assert out[2].action == "agreement"


def test_the_debtors_own_full_data_is_never_given_by_chat() -> None:
    out = talk(ctx(), "me passa meu cpf completo ai?", "e meu endereco q ta cadastrado ai, qual e?")
    for d in out:
        assert "não informo" in d.reply or "não passo" in d.reply
        assert d.action == "continue"
    assert out[0].reply != out[1].reply  # never the same sentence twice in a row


def test_a_lawyer_for_the_debtor_hears_nothing_and_the_team_checks_the_power_of_attorney() -> None:
    out = talk(ctx(), "Sou advogado e represento o titular, tenho procuração. Qual o valor?")
    assert out[0].action == "third_party"
    assert "procuração" in (out[0].notes or "")
    assert "R$" not in out[0].reply


# --- the third round: long journeys, vulnerable people, strange input (probes G, H, I) --------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Shame is not anger; not wanting to go to the police is not a threat.
        ("desculpa mesmo, tenho vergonha. perdi o emprego e tudo desandou", Intent.hardship),
        ("isso é uma vergonha", Intent.anger),
        ("eu nao quero denunciar meu filho na policia nao", Intent.refuse),
        ("vou na policia dar queixa de vcs", Intent.legal_threat),
        # A son who took the loan with his father's documents: a dispute.
        ("nunca peguei emprestimo nenhum, quem fez foi meu filho, ele pegou meus documento", Intent.dispute),
        # "Sou mãe solo" describes the debtor; "sou a mãe dele" speaks for someone else.
        ("moco eu sou mae solo de 3, so consigo 30 reais por mes", Intent.amount),
        ("sou a mae dele, ele ta trabalhando", Intent.third_party),
        # Questions a person with little schooling or many debts asks.
        ("oq e a vista? eu nao entendo essas palavra de banco", Intent.debt_question),
        ("devo em 5 lugares, qual eu pago primeiro?", Intent.debt_question),
        ("ai minha filha eu nao lembro dessa conta", Intent.debt_question),
        ("qual fica o menor por mes?", Intent.installments),
        ("minha esposa nao sabe de nada disso, vcs nao vao ligar pra ela ne?", Intent.cpf_why),
    ],
)
def test_what_a_message_means_third_round(text: str, intent: Intent) -> None:
    assert heard(text) is intent


@pytest.mark.parametrize(
    "text",
    [
        "to desempregado, vivo do bolsa familia, 600 conto pra mim e 2 filho",
        "eu tenho 74 ano, so tenho a aposentadoria",
    ],
)
def test_income_and_age_are_never_an_offer(text: str) -> None:
    assert understand(text, TODAY).amount_cents is None


def test_a_month_told_in_a_story_is_not_a_due_date() -> None:
    assert understand("perdi o emprego em marco e tudo desandou", TODAY).day is None
    assert understand("fiquei desempregado em janeiro, so consigo pagar em marco", TODAY).day == date(2027, 3, 10)


def test_a_death_told_of_ones_own_relative_after_the_cpf_is_grief() -> None:
    u = understand("meu marido ficou 2 ano doente, eu cuidei dele. ele faleceu faz 40 dias", TODAY)
    assert u.intent is Intent.deceased
    assert u.relative_died  # the brain answers grief, never the titular's death


@pytest.mark.parametrize(
    "text",
    [
        "si, esta bien, pode cerrar",
        "Sim, confirmo o pagamento à vista nessas condições. Aguardo o código PIX copia e cola em texto, por favor.",
        "sim, pode fechar. obrigada e desculpa a demora",
    ],
)
def test_a_plain_yes_in_portunhol_formal_or_apologetic_words(text: str) -> None:
    assert understand(text, TODAY).plain


def test_what_a_vista_means_is_explained_then_both_ways() -> None:
    out = talk(ctx(), "oq e a vista? eu nao entendo essas palavra de banco")
    assert "pagar tudo de uma vez" in out[0].reply
    assert not out[0].state.awaiting_confirmation


def test_which_debt_first_is_answered_honestly_essentials_first() -> None:
    out = talk(ctx(), "devo no nubank, na casas bahia, a luz ta atrasada. qual eu pago primeiro?")
    assert "luz, água, aluguel" in out[0].reply


def test_discretion_is_promised_for_the_family() -> None:
    out = talk(ctx(), "minha esposa nao sabe de nada disso. vcs nao vao ligar pra ela ne?")
    assert "só fala desse assunto com você" in out[0].reply


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("eu so consigo pagar 30 reais por mes, mais q isso nao da, juro", Intent.amount),  # "juro": I swear
        ("10x tem juros?", Intent.breakdown),
        ("to esperando sair a pensao no inss. posso falar com vcs de novo quando sair?", Intent.later),
        ("quando eu arrumar um servico fixo eu procuro vcs", Intent.later),
        ("obrigada filha, deus te abencoe", Intent.greeting),
        ("tengo miedo, esto puede dar problema con mi documento de refugio?", Intent.debt_question),
        ("vou ser preso por causa disso?", Intent.debt_question),
        ("posso fazer o pix pra chave do atendente?", Intent.identity_question),
        ("esse link e valido? http://desconto-certo.xyz", Intent.identity_question),
        ("ela pode pagar o boleto pelo app do banco dela? a conta ta no nome dela", Intent.payment_method),
        ("sou a esposa dele, posso pagar por ele?", Intent.third_party),  # before the CPF: nothing said
    ],
)
def test_what_a_message_means_fourth_round(text: str, intent: Intent) -> None:
    assert heard(text) is intent


def test_fear_of_prison_or_documents_hears_the_truth() -> None:
    out = talk(ctx(), "vou ser preso por causa dessa divida?")
    assert "ninguém é preso" in out[0].reply


def test_paying_to_a_personal_key_is_refused_with_how_to_check() -> None:
    out = talk(ctx(), "posso fazer o pix pra chave do atendente?")
    assert out[0].reply.startswith("Não")
    assert "beneficiário" in out[0].reply


def test_thanks_is_a_courtesy_not_the_offers_again() -> None:
    out = talk(ctx(), "obrigada filha, deus te abencoe")
    assert "R$" not in out[0].reply


def test_new_terms_asked_with_how_much_are_never_the_old_terms_recalled() -> None:
    # Seen in CI: "faz em 6x, fica qnt cada?" recalled the cash offer, and the next "sim" closed it.
    out = talk(ctx(120_000, "20", 10_000, 10), "quero a vista", "entao faz em 6x, fica qnt cada?", "ok sim pode fechar")
    assert out[1].state.pending_offer is not None
    assert out[1].state.pending_offer.installments == 6
    assert out[2].agreement is not None
    assert out[2].agreement.installments == 6
