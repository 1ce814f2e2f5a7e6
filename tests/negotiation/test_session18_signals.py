"""What session 18's known gaps and probes found: the way to pay as the trouble, the creditor's limit
asked straight or claimed as "authorized", a lost "???", "agora não", a yes to the plan just asked
about, and the CPF gate fed an amount or a whole CPF in a sentence.

Each family holds the phrasing that failed and others written beside it, of other kinds of people.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from certobot.negotiation.nlu import Intent, understand
from certobot.validation.challenge import extract_first_digits, named_first_digits
from certokit.money import brl
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


@pytest.mark.parametrize(
    ("text", "worry", "must", "never"),
    [
        (
            "moça me fala a verdade, vão cortar minha luz? chegou o aviso",
            "power_cut",
            "distribuidora",
            "não vão cortar",
        ),
        ("SOU DIABETICA E A INSULINA FICA NA GELADEIRA SE CORTAR A LUZ", "power_cut", "distribuidora", "garanto"),
        ("a escola nao libera o historico da minha filha pra transferencia", "school", "9.870", "vão liberar"),
        ("a rematricula do meu filho fecha sexta", "school", "secretaria", "garanto"),
        ("se eu pagar o cartao volta a funcionar?", "card", "banco", "volta a funcionar na hora"),
        ("se eu pagar consigo credito de novo? ninguem aprova nada", "credit_again", "análise", "crédito aprovado"),
        ("isso aparece pro meu patrao? vcs ligam no meu trabalho?", "employer", "patrão", "ligamos"),
        ("se eu esperar mais 1 ano some tudo e meu nome limpa sozinho?", "wait_out", "5 anos", "já prescreveu"),
    ],
)
def test_the_fears_a_kind_of_debt_brings_are_answered_with_who_decides_never_a_promise(
    text: str, worry: str, must: str, never: str
) -> None:
    heard = understand(text, TODAY)
    assert heard.worry == worry
    out = talk(ctx(), "quero a vista", text, "sim")
    assert must in out[1].reply
    assert never not in out[1].reply.lower()
    assert out[1].action == "continue"
    assert out[2].action == "agreement"  # the offer shown before the question still closes on a yes


def test_terms_and_a_fear_in_one_message_get_both() -> None:
    out = talk(ctx(100_000, "20", 8_000, 10), "ENTAO FAZ EM 8 DE 80, MAS VAO CORTAR MINHA LUZ?")
    assert "distribuidora" in out[0].reply
    assert out[0].state.pending_offer is not None
    assert out[0].state.pending_offer.installments == 8


@pytest.mark.parametrize(
    "text",
    [
        "a loja fechou antes de entregar, eu nunca recebi a tv",
        "nunca chegou a geladeira que eu comprei",
        "o sofa nao foi entregue e tão me cobrando",
    ],
)
def test_goods_never_delivered_are_a_dispute_and_a_shop_that_closed_is_no_yes(text: str) -> None:
    heard = understand(text, TODAY)
    assert heard.intent is Intent.dispute
    assert not heard.accepts


@pytest.mark.parametrize(
    "text",
    [
        "sei... esse dinheiro eu peguei pra pagar o velorio e o enterro da minha mae",
        "o bolo da minha falecida era o melhor do mundo",
        "depois do funeral do meu pai fiquei sem nada",
        "sou viuvo desde o ano passado, to sozinho",
    ],
)
def test_a_loss_of_ones_own_is_told_as_a_relatives_never_the_titulars(text: str) -> None:
    assert understand(text, TODAY).relative_died


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("pera, vc é humano? ou é robo?", Intent.bot_question),
        ("vc é uma pessoa de verdade?", Intent.bot_question),
        ("quero falar com um humano", Intent.human),
        ("me passa pra um humano?", Intent.human),
        ("é humano?", Intent.bot_question),
    ],
)
def test_asking_what_the_assistant_is_never_hands_the_conversation_away(text: str, intent: Intent) -> None:
    assert understand(text, TODAY, learned=False).intent is intent


def test_having_seen_the_message_is_not_a_relative_taking_a_message() -> None:
    assert understand("bom dia moça, vi o recado de vcs", TODAY).intent is not Intent.third_party
    assert understand("posso dar o recado pra ela", TODAY).intent is Intent.third_party


def test_a_request_for_the_manager_taken_back_in_the_same_message_goes_on_with_what_follows() -> None:
    heard = understand("quero falar com o gerente... nao pera, esquece. faz em 3x", TODAY)
    assert heard.intent is Intent.installments
    assert heard.installments == 3


def test_a_yes_with_a_number_nobody_understood_never_closes_the_older_offer() -> None:
    # "isso, as 8. fechado" over a cash offer closed cash; the 8 is the count now, and asked again.
    out = talk(ctx(), "quero a vista", "isso, as 8. fechado")
    assert out[1].action == "continue"
    assert out[1].state.pending_offer is not None
    assert out[1].state.pending_offer.installments == 8
    heard = understand("sim, 3", TODAY)
    assert heard.accepts
    assert heard.stray_numbers == (3,)
    cash = talk(ctx(), "quero a vista", "sim, 3")
    assert cash[1].action == "continue"  # a 3 the cash offer does not hold: asked again, never closed


def test_a_yes_repeating_the_offers_own_figure_closes_it() -> None:
    c = ctx(300_000, "30", 5_000, 12)
    out = talk(c, "1500 à vista", "ta bom 2100 entao")
    assert out[0].state.pending_offer is not None
    assert out[0].state.pending_offer.total_cents == 210_000
    assert out[1].action == "agreement"


@pytest.mark.parametrize(
    ("text", "count"),
    [("e em 5 qnto fica cada uma?", 5), ("e em 5?", 5), ("a de 6", 6), ("fico com a das 10", 10), ("fecha as 5", 5)],
)
def test_a_count_chosen_among_the_plans_shown(text: str, count: int) -> None:
    assert understand(text, TODAY).installments == count


@pytest.mark.parametrize("text", ["as 8 da noite eu te chamo", "o de 5 de dezembro", "a de 200 reais"])
def test_an_hour_a_date_or_an_amount_is_not_a_count(text: str) -> None:
    assert understand(text, TODAY).installments is None


def test_how_many_installments_is_answered_with_the_span_and_a_question_about_the_month() -> None:
    out = talk(ctx(), "quantas vezes da? eu nem sei quantas eu quero, o q fica melhor pra mim?")
    assert "de 2x até 12x" in out[0].reply
    assert "por mês" in out[0].reply
    assert out[0].state.awaiting_confirmation is False


def test_two_plans_asked_side_by_side_are_both_shown_then_the_chosen_one_closes() -> None:
    out = talk(ctx(), "quanto fica em 4x e em 6x?", "a de 6", "sim")
    assert "4x de" in out[0].reply
    assert "6x de" in out[0].reply
    assert out[0].agreement is None
    assert out[2].agreement is not None
    assert out[2].agreement.installments == 6


def test_a_yes_with_nothing_on_the_table_asks_which_never_nao_entendi() -> None:
    out = talk(ctx(), "me fala qnto fica a vista e qnto fica em 12x", "pode ser")
    assert "À vista" in out[0].reply
    assert "12x" in out[0].reply
    assert "não entendi" not in out[1].reply.lower()
    assert out[1].action == "continue"


def test_a_conditional_yes_with_its_else_is_the_condition_asked_for() -> None:
    out = talk(ctx(), "quero a vista", "sim mas so se for dia 20 que é qdo cai meu beneficio, se nao nao da", "sim")
    assert out[1].action == "continue"
    assert "20/12/2026" in out[1].reply
    assert "Melhorei" not in out[1].reply
    assert out[2].agreement is not None
    assert out[2].agreement.due_dates[0] == date(2026, 12, 20)


def test_a_sisters_debt_asked_with_ones_own_terms_is_declined_and_the_terms_go_on() -> None:
    out = talk(ctx(), "me faz em 3x. e minha irma tb ta devendo pra vcs, qnto ta a dela?")
    assert "outra pessoa" in out[0].reply
    assert out[0].state.pending_offer is not None
    assert out[0].state.pending_offer.installments == 3


@pytest.mark.parametrize(
    "text",
    [
        "ok pode ser esse valor a vista, fecha",
        "ta bom, fecho nessa q vc falou",
        "ah ta, desculpa a net travou. pode fechar",
    ],
)
def test_a_yes_in_everyday_words_is_plain(text: str) -> None:
    heard = understand(text, TODAY)
    assert heard.accepts
    assert heard.plain


def test_a_yes_naming_pix_closes_the_terms_shown_and_pays_by_pix() -> None:
    out = talk(ctx(), "quero a vista", "fechado, esse valor a vista no pix")
    assert out[1].action == "agreement"
    assert out[1].state.payment_method == "pix"


@pytest.mark.parametrize(
    ("text", "count"),
    [("entao fica assim, 8 de 60, pode fazer", 8), ("y en 3 cuotas?", 3), ("si, acepto las 3 cuotas", 3)],
)
def test_counts_as_people_write_them_session_18(text: str, count: int) -> None:
    assert understand(text, TODAY).installments == count


@pytest.mark.parametrize("text", ["paguei 3 de 50", "dia 5 de 12"])
def test_a_payment_told_or_a_date_is_not_a_count(text: str) -> None:
    assert understand(text, TODAY).installments is None


def test_coming_back_to_an_offer_puts_it_back_and_a_yes_closes_it() -> None:
    out = talk(ctx(), "e em 2x como fica?", "hmm vou pensar, tchau", "e aí, aquela proposta ainda vale?", "entao fecha")
    assert out[1].action == "later"
    assert "Vale, sim" in out[2].reply
    assert out[3].action == "agreement"
    assert out[3].agreement is not None
    assert out[3].agreement.installments == 2
    assert understand("essa divida ainda vale?", TODAY).intent is Intent.prescription


def test_hello_again_while_terms_wait_restates_them() -> None:
    out = talk(ctx(), "consigo em 5 vezes", "oi", "isso, fecha")
    assert "5x de" in out[1].reply
    assert out[2].action == "agreement"


def test_a_call_back_names_the_weekday_and_next_week_is_a_week() -> None:
    out = talk(ctx(), "ta, agr to no trampo, vejo isso semana q vem")
    assert out[0].action == "later"
    assert out[0].promised_date == date(2026, 11, 30)
    assert "na segunda, dia 30/11" in out[0].reply


@pytest.mark.parametrize(
    ("text", "digits"), [("aff q burocracia. ta bom: dois oito quatro", "284"), ("sao sete nove dois", "792")]
)
def test_the_cpf_said_last_in_words_is_the_answer(text: str, digits: str) -> None:
    assert extract_first_digits(text) == digits


@pytest.mark.parametrize("text", ["tenho um filho e dois netos", "é um prazer"])
def test_number_words_in_a_story_are_not_an_answer(text: str) -> None:
    assert extract_first_digits(text) is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("q empresa é essa?? nunca ouvi falar. como vcs tem meu numero", Intent.identity_question),
        ("nunca ouvi falar dessa pessoa", Intent.wrong_person),
        ("quem ta cobrando isso agora? vcs compraram a divida?", Intent.identity_question),
        ("nao to ligando o nome nao... q divida é essa? de onde vem?", Intent.debt_question),
        ("vou passar na escola amanha e perguntar, ai te chamo de novo", Intent.later),
        ("fecho sim, mas so se meu marido concordar", Intent.later),
    ],
)
def test_what_a_message_means_session_18_second_round(text: str, intent: Intent) -> None:
    assert understand(text, TODAY).intent is intent


def test_the_total_read_as_the_installment_is_explained_never_a_new_offer() -> None:
    out = talk(
        ctx(), "tem como fazer em 5x?", "oxe 800 por mes?? ta doida, eu ganho 1400 moça", "ah entendi, fecha as 5"
    )
    assert "total de todas juntas" in out[1].reply
    assert out[1].state.pending_offer is not None
    assert out[1].state.pending_offer.installments == 5  # never "passei pra 2x"
    assert out[2].action == "agreement"


def test_paying_on_the_day_a_benefit_falls_asks_which_day() -> None:
    out = talk(ctx(), "queria pagar no dia q cai o bolsa, pode ser?", "cai dia 22")
    assert "Que dia cai" in out[0].reply
    assert out[0].agreement is None
    assert "22/12/2026" in out[1].reply


def test_a_credit_card_is_not_a_way_to_pay_and_not_a_worry_about_the_card() -> None:
    heard = understand("consigo pagar no cartao de credito? parcelado no meu nubank, tenho limite", TODAY)
    assert heard.pay_by_card
    assert heard.worry is None
    out = talk(ctx(), "consigo pagar no cartao de credito? parcelado no meu nubank")
    assert "boleto" in out[0].reply
    assert "PIX" in out[0].reply
    assert "qual prefere?" in out[0].reply.lower()


def test_an_exception_asked_gets_the_limit_kindly_and_a_later_chat_offered() -> None:
    c = ctx(90_000, "20", 7_500, 12)
    out = talk(c, "mas 20 é melhor q nada ne? abre uma exceção ai pra mim 🙏")
    assert "exceção" in out[0].reply
    assert brl(c.policy.cash_offer(c.policy.max_step).total_cents) in out[0].reply
    assert out[0].agreement is None


def test_the_furthest_first_date_asked_is_the_furthest_the_policy_allows() -> None:
    c = ctx()
    out = talk(c, "entao poe a primeira o mais pra frente q vc conseguir, e faz em 3x")
    offer = out[0].state.pending_offer
    assert offer is not None
    assert offer.installments == 3
    assert offer.due_dates[0] == c.policy.first_due(TODAY + timedelta(days=366))
    assert out[0].action == "continue"


def test_a_new_job_is_good_news_and_not_closing_now_is_later() -> None:
    out = talk(
        ctx(),
        "to desempregado faz 4 meses, mas graças a Deus consegui uma vaga 🙏",
        "prefiro nao fechar nada agora pra nao assumir e nao cumprir. me procura mes q vem?",
    )
    assert "parabéns" in out[0].reply
    assert "sinto muito" not in out[0].reply.lower()
    assert out[1].action == "later"
    assert not understand("prefiro nao fechar nada agora", TODAY).accepts


def test_paid_by_the_week_hears_the_parcelas_are_monthly_and_what_fits() -> None:
    out = talk(
        ctx(),
        "eu sou diarista moça, recebo por semana e em dinheiro, toda sexta a patroa paga na mao",
        "da pra eu ir pagando toda semana um pouquinho? tipo uns 40 toda sexta feira",
    )
    assert "por semana" in out[0].reply
    assert out[0].state.pending_offer is None or not out[0].state.awaiting_confirmation
    assert "R$ 160,00 por mês" in out[1].reply
    offer = out[1].state.pending_offer
    assert offer is not None
    assert offer.installment_amounts_cents[-1] <= 16_000


def test_the_last_digits_are_never_an_attempt() -> None:
    assert extract_first_digits("os tres ultimos sao 214") is None
    assert extract_first_digits("termina com 214") is None


def test_asked_twice_who_we_are_the_answer_changes_its_words() -> None:
    out = talk(ctx(), "isso é golpe?", "e o boleto vai sair no nome de quem? tenho medo de golpe")
    first, second = (set(d.reply.split(". ")) for d in out)
    assert not first & second
    assert "Certo Recuperadora" in out[1].reply


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("vou conversar com meu filho se ele me ajuda e te falo semana q vem", Intent.later),
        ("pago semana que vem", Intent.promise),
    ],
)
def test_a_word_back_next_week_is_later_and_paying_next_week_a_promise(text: str, intent: Intent) -> None:
    assert understand(text, TODAY).intent is intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("nao intendi nada minha fia", Intent.unknown),
        ("QUATO E", Intent.debt_question),
        ("desculpa minha filha esqueci, quanto que e mesmo a conta?", Intent.debt_question),
        ("NAO TENHO TUDO PODI DIVIDI EM TREIS VEIS", Intent.installments),
        ("ah agora intendi. intao quero paga um poquinho todo mes", Intent.installments),
        ("oi aqui e o neto dela, ela ta aqui do meu lado e eu escrevo o que ela fala", Intent.greeting),
        ("sou a filha dela", Intent.third_party),
        ("to ocupada agr, mas fala", Intent.greeting),
    ],
)
def test_how_elderly_and_low_literacy_people_write(text: str, intent: Intent) -> None:
    assert understand(text, TODAY).intent is intent


def test_lost_is_explained_again_and_never_a_better_offer_for_a_no() -> None:
    out = talk(ctx(), "nao intendi nada minha fia")
    assert "Melhorei" not in out[0].reply
    assert out[0].state.step == 0
    assert "atendente" in out[0].reply


def test_a_bare_count_after_the_plans_is_the_count() -> None:
    out = talk(ctx(), "parcela", "4", "sim")
    assert out[1].state.pending_offer is not None
    assert out[1].state.pending_offer.installments == 4
    assert out[2].agreement is not None
    assert out[2].agreement.installments == 4


def test_a_phonetic_yes_closes_and_treis_veis_is_three() -> None:
    assert understand("NAO TENHO TUDO PODI DIVIDI EM TREIS VEIS", TODAY).installments == 3
    heard = understand("TA BOM PODI MANDA O BOLETE", TODAY)
    assert heard.plain


def test_no_offer_when_asked_for_none() -> None:
    for text in ("e nem vem me oferecer desconto agr nao", "e nao adianta me oferecer parcelinha antes disso"):
        out = talk(ctx(), text)
        assert "R$" not in out[0].reply
        assert out[0].agreement is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Isso é EXTORSÃO. Peguei 800 e vcs querem quase 2.500???", Intent.anger),
        ("quero o valor original e tudo q foi somado em cima, item por item", Intent.dispute),
        ("todo santo dia uma msg de vcs, ate sabado. isso é cobrança abusiva, art 42 do CDC", Intent.anger),
        ("ok. a conta de luz eu vejo semana q vem", Intent.later),
    ],
)
def test_anger_law_and_rights(text: str, intent: Intent) -> None:
    heard = understand(text, TODAY)
    assert heard.intent is intent
    assert heard.day is None or intent is Intent.later


def test_a_request_of_access_to_ones_data_is_recorded_and_answered_with_the_law() -> None:
    out = talk(ctx(), "com base no art. 18 da LGPD quero acesso a todos os dados pessoais q vcs tem sobre mim")
    assert "15 dias" in out[0].reply
    assert "não apaga" in out[0].reply
    assert out[0].notes is not None
    assert "art. 18" in out[0].notes


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("MDS fiz o pix so q coloquei 48 reais e nao o valor certo, esqueci o zero", "money_back"),
        ("aff paguei o boleto e dps paguei o pix tb, paguei duas vezes", "money_back"),
        ("e o que eu ja paguei, volta?", "money_back"),
        ("e qnto tempo demora isso entao?", "how_long"),
        ("PAGUEI E MEU NOME CONTINUA NO SERASA", "how_long"),
        ("acabei de receber a noticia q fui demitido, nao vou conseguir pagar a proxima parcela", "hardship"),
        ("Mas isso ficou registrado mesmo? Nao tem papel nenhum", "registered"),
        ("E se eu pagar e depois vcs disserem q nao pagei?", "registered"),
        ("caiu o fgts aqui agora, prefiro pagar tudo de uma vez", "change"),
        ("quero pagar o resto tudo de uma vez antes", "early_payment"),
        ("a gente quer cancelar o resto do acordo", "cancel"),
    ],
)
def test_after_the_deal_session_18(text: str, kind: str) -> None:
    from certobot.negotiation.after_deal import read

    found = read(text)
    assert found is not None
    assert found.value == kind


def test_cancelling_after_paying_is_told_as_a_payment() -> None:
    from certobot.negotiation.after_deal import says_paid

    assert says_paid("ja paguei a primeira parcela pelo pix, mas quero cancelar o resto")
    assert not says_paid("ainda nao paguei, quero cancelar")
