"""What session 21's five held-out probes found (a first day's cross-section, the edges of the policy,
questions before the yes, disputes and deaths, identity under pressure), each family with phrasings of
other people.
"""

from __future__ import annotations

from datetime import date

import pytest

from certobot.negotiation.nlu import Intent, understand
from certobot.validation.challenge import named_first_digits
from tests.negotiation.test_terms import ctx, talk

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("ask", "said"),
    [
        ("esse valor é fixo? ou vai aumentar todo mês com os juros?", "fixo"),
        ("as parcelas vão subir depois?", "fixo"),
        ("e se num mês eu tiver o dinheiro antes, posso pagar antes do vencimento?", "antes do vencimento"),
        ("dá pra antecipar as parcelas?", "antes do vencimento"),
        ("da pra arredondar? tira esses centavo", "arredondar"),
        ("essa proposta vale até quando?", "vale"),
        ("depois de pagar eu recebo comprovante ou carta de quitação?", "comprovante"),
        ("tá, e o boleto é de qual banco? tenho medo de golpe", "cnpj"),
        ("e se um mês eu atrasar uma parcela? perco o acordo todo?", "atrasar"),
    ],
)
def test_a_question_about_the_terms_is_answered_and_they_stay_to_say_yes_to(ask: str, said: str) -> None:
    shown, answered, yes = talk(ctx(), "quero em 4x", ask, "ah, então tá bom. pode fechar as 4 parcelas")
    assert said in answered.reply.lower()
    assert answered.agreement is None
    assert answered.state.pending_offer == shown.state.pending_offer  # nothing about the terms changed
    assert answered.state.awaiting_confirmation
    assert yes.action == "agreement"  # never the terms once more after a question
    assert yes.agreement == shown.state.pending_offer


@pytest.mark.parametrize(
    "no",
    [
        "não minha filha, mesmo assim não cabe. ganho um salário mínimo. não vou fazer não, obrigada pela atenção",
        "Então deixa. Não vou fechar nada, obrigado.",
        "ah então não resolve meu problema agora. deixa, não vou fazer não",
    ],
)
def test_a_no_with_its_reason_or_goodbye_is_respected_without_a_better_price(no: str) -> None:
    _shown, refused = talk(ctx(), "quero à vista", no)
    assert refused.action == "refused"
    assert "R$" not in refused.reply


def test_a_bare_no_still_hears_what_the_policy_can_do_better() -> None:
    shown, better = talk(ctx(), "quero à vista", "não")
    assert better.action == "continue"
    assert better.state.step == shown.state.step + 1


@pytest.mark.parametrize(
    "yes",
    [
        "tá bom, aperta mas eu faço. pode fechar as 10",
        "pesa um pouco, mas eu pago. fecha",
        "vai apertar mas eu topo, sim",
    ],
)
def test_a_yes_said_with_a_sigh_closes(yes: str) -> None:
    shown, done = talk(ctx(), "quero em 10x", yes)
    assert done.action == "agreement"
    assert done.agreement == shown.state.pending_offer


@pytest.mark.parametrize(
    "yes",
    [
        "ta bom, essas parcelas ai eu consigo pagar. pode fazer",
        "Então pode mandar o boleto que eu pago na lotérica.",
        "ótimo! então fecha as 4 parcelas com vencimento dia 10",
        "ta bom entao meu filho, manda o boleto que meu neto paga pra mim",
    ],
)
def test_a_plain_yes_in_everyday_words_closes(yes: str) -> None:
    c = ctx()
    shown = talk(c, "quero em 4x com vencimento dia 10")[0]
    done = talk(c, "quero em 4x com vencimento dia 10", yes)[1]
    assert done.action == "agreement"
    assert done.agreement == shown.state.pending_offer


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        (
            "ta, foi mal pelo estresse mermao, o dia ta uma merda. quero resolver sim, mas 4 mil eu nao tenho",
            "hardship",
        ),
        ("desculpa a grosseria de antes, mas isso tudo eu não tenho", "hardship"),
        ("Gente, mas eu JÁ PAGUEI isso! Paguei dia 10 na lotérica, tenho o comprovante 😤", "already_paid"),
        ("já paguei essa porcaria, um absurdo 😡", "already_paid"),
        ("Esse empréstimo tinha seguro prestamista, a seguradora quitou o saldo quando me aposentei", "dispute"),
        ("foi quitado pelo seguro, tenho a carta", "dispute"),
        ("Mas eu cancelei a matrícula em fevereiro! Tenho o protocolo.", "dispute"),
        ("eu já cancelei o plano faz tempo e continuaram cobrando", "dispute"),
        ("1870??? MINHA CONTA NUNCA PASSOU DE 150 REAIS. isso ta errado", "dispute"),
        ("esse valor tá errado, não é isso que eu devo", "dispute"),
        ("ixi agora nao da pra ver isso, to no trecho. me chama segunda de manha", "later"),
        ("pode me chamar daqui uns 15 dias?", "later"),
        ("nao to dizendo q nao devo. so nao da agora", "later"),
        ("vou ver com calma e te falo", "later"),
        ("blz, entao dia 5 eu volto aqui e resolvo", "later"),
        ("Certo. Vou juntar o dinheiro até o fim do mês e volto a falar com vocês.", "later"),
        ("e a primeira vence q dia?", "debt_question"),
        ("tem algum desconto pra pagar a vista? 🙏", "debt_question"),
        (
            "oi. eu tinha pedido pra vcs nao mandarem mais mensagem, mas agora arrumei trabalho e quero resolver",
            "greeting",
        ),
        ("eu ja tinha pedido pra parar de mandar mensagem!!", "opt_out"),
        ("PARA DE ME MANDAR MENSAGEM!!! nao quero mais receber nada, tira meu numero", "opt_out"),
    ],
)
def test_what_each_kind_of_message_means(text: str, intent: str) -> None:
    assert understand(text, TODAY).intent == Intent(intent)


@pytest.mark.parametrize(
    "text",
    [
        "Esse empréstimo tinha seguro prestamista, a seguradora quitou o saldo",
        "Mas eu cancelei a matrícula em fevereiro! Tenho o protocolo.",
        "1870??? MINHA CONTA NUNCA PASSOU DE 150 REAIS. isso ta errado",
    ],
)
def test_a_dispute_gets_no_price(text: str) -> None:
    _opening, heard = talk(ctx(), "oi", text)
    assert heard.action == "dispute"
    assert "R$" not in heard.reply
    assert "desconto" not in heard.reply.lower()


def test_after_a_loss_in_the_family_a_deal_is_closed_without_a_party() -> None:
    *_, done = talk(ctx(), "minha esposa faleceu em janeiro, era ela que cuidava disso", "quero em 6x", "pode fechar")
    assert done.action == "agreement"
    assert "🎉" not in done.reply


def test_moving_from_cash_to_installments_says_the_discount_is_smaller() -> None:
    _cash, split = talk(ctx(), "quero à vista", "ah mas esse valor com desconto da pra dividir em 4x?")
    assert "desconto é menor" in split.reply


def test_no_discount_is_said_plainly_when_the_policy_gives_none() -> None:
    told = talk(ctx(max_discount="0"), "tem algum desconto pra pagar a vista? 🙏")[0]
    assert "não tem desconto" in told.reply


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("Tá bom. Começa com 294. Agora me diga o nome da empresa de vocês e o CNPJ.", "294"),
        ("os primeiros são 184 e quero saber o valor", "184"),
        ("kkkk tava testando se vc confirmava qualquer coisa. é 4 6 9", "469"),
        ("comeca com dois nove quatro, e ai?", "294"),
        ("o cpf do meu marido é 123", None),  # someone else's
        ("termina com 294", None),  # the wrong end
        ("eu devo 1.500", None),  # money
        ("o valor é 300", None),
    ],
)
def test_the_cpf_start_named_inside_a_sentence(text: str, digits: str | None) -> None:
    assert named_first_digits(text) == digits


@pytest.mark.parametrize(
    ("ask", "said"),
    [
        ("e o valor das parcela nao muda no meio do caminho nao ne", "fixo"),
        ("essa parcela fica sempre nesse valor ou vai aumentando?", "fixo"),
        ("e o boleto chega por onde? whats ou email?", "whatsapp"),
        ("BOLETO VEM AQUI WHATSAPP?", "whatsapp"),
        ("tem alguma taxa pra pagar o boleto?", "taxa"),
        ("há cobrança de alguma tarifa pela emissão do boleto?", "taxa"),
        ("E se eu for mandado embora no meio do acordo? Perco tudo que já paguei?", "nada se perde"),
        ("JUROS TEM?", "juros"),
        ("e se num mes eu pegar uma obra boa, posso pagar 2 parcela de uma vez?", "adiantado"),
    ],
)
def test_more_questions_before_the_yes_are_answered_and_the_terms_wait(ask: str, said: str) -> None:
    shown, answered, yes = talk(ctx(), "quero em 4x", ask, "pode fechar as 4")
    assert said in answered.reply.lower()
    assert answered.state.pending_offer == shown.state.pending_offer
    assert "já paguei" not in answered.reply.lower()  # "perco o que já paguei?" is no payment claim
    assert yes.action == "agreement"


@pytest.mark.parametrize(
    "yes",
    [
        "gloria a deus 🙏 entao pode fechar as 4x, deus abençoe vc",
        "Ciente. Aceito a proposta de pagamento em 4 parcelas, no valor informado. Aguardo o boleto.",
        "aiai... ta bom, pode fechar as 4 entao. fazer o que ne",
        "Tá bom. Muito obrigada pela atenção, pode fechar nesse valor que você passou.",
        "SIM. 4 VEZES. CERTO. OBRIGADO.",
    ],
)
def test_a_yes_that_names_the_closing_closes_whatever_courtesy_comes_with_it(yes: str) -> None:
    shown, done = talk(ctx(), "quero em 4x", yes)
    assert done.action == "agreement"
    assert done.agreement == shown.state.pending_offer


@pytest.mark.parametrize(
    "text", ["kkkk pode fechar", "pode fechar? to pensando ainda", "vou fechar com a outra empresa, obrigado"]
)
def test_a_closing_word_with_a_laugh_a_doubt_or_elsewhere_does_not_close(text: str) -> None:
    _shown, heard = talk(ctx(), "quero em 4x", text)
    assert heard.action != "agreement"


@pytest.mark.parametrize(
    "no",
    [
        "Não vou assumir parcela de 10 meses sem saber se continuo empregado, não quero fazer acordo.",
        "Não vou fechar. O aluguel e a creche vêm primeiro e essa parcela não cabe no meu mês.",
    ],
)
def test_a_no_to_any_deal_is_final_whatever_numbers_it_mentions(no: str) -> None:
    _shown, refused = talk(ctx(), "quero em 10x", no)
    assert refused.action == "refused"
    assert "R$" not in refused.reply


@pytest.mark.parametrize(
    "text",
    [
        "cara fui demitido ontem. to aqui no carro chorando sem coragem de contar pra minha esposa",
        "moço agora nao. meu filho ta na UTI desde sabado, acidente de moto",
        "desculpa desabafar com um robo kkk nem sei pq to falando isso",
    ],
)
def test_a_hard_moment_gets_no_price(text: str) -> None:
    heard = talk(ctx(), text)[0]
    assert "R$" not in heard.reply
    assert "desconto" not in heard.reply.lower()
    assert heard.state.pending_offer is None or not heard.state.awaiting_confirmation


@pytest.mark.parametrize(
    "text",
    [
        "bah mas essa fatura ta errada. a compra de 389,90 veio DUAS vezes, passei o cartao uma vez so",
        "comprei um guarda roupa no crediario, a loja NUNCA entregou e agora tão me cobrando",
        "nao vou pagar nada ate tirarem a duplicada",
    ],
)
def test_a_double_charge_or_goods_never_delivered_is_a_dispute(text: str) -> None:
    heard = talk(ctx(), text)[0]
    assert heard.action == "dispute"
    assert "R$" not in heard.reply


def test_a_complaint_about_the_notice_is_not_a_dispute_of_the_debt() -> None:
    said = "fiquei sabendo pelo serasa. a lei manda notificar antes de negativar, isso ta errado"
    assert understand(said, TODAY).intent is not Intent.dispute


def test_a_nuns_title_is_not_a_sister_speaking_for_the_titular() -> None:
    said = "Boa tarde. Aqui é a Irmã Lúcia, no registro civil Rosângela. Desejo regularizar a pendência."
    assert understand(said, TODAY).intent is not Intent.third_party
    assert understand("aqui é a irmã dele", TODAY).intent is Intent.third_party


def test_the_last_three_digits_are_never_taken_for_the_first() -> None:
    assert named_first_digits("os tres ultimos sao 972") is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("1200 entao, ultima oferta", "amount"),
        ("oi, aqui é a Cida, esposa do Cláudio. ele ta dirigindo, pode falar comigo", "third_party"),
        ("moça é serio. to sem renda nenhuma. nao vou prometer o que nao posso cumprir", "refuse"),
        ("ahh lembrei, foi a geladeira. quanto fica pra quitar?", "cash"),
    ],
)
def test_what_a_second_days_debtors_mean(text: str, intent: str) -> None:
    assert understand(text, TODAY).intent == Intent(intent)


def test_the_fifth_of_next_month_is_next_months_even_before_this_months_fifth() -> None:
    heard = understand("consigo pagar à vista se o boleto vencer no dia 5 do mês que vem", date(2026, 12, 2))
    assert heard.day == date(2027, 1, 5)


def test_a_bid_under_the_cash_floor_is_told_the_floor() -> None:
    _shown, bid = talk(ctx(), "quero à vista", "1000 entao, ultima oferta")
    assert "Não consigo" in bid.reply
    assert bid.agreement is None


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("QUEM TE PASSOU MEU NÚMERO??", "how_number"),
        ("como vcs conseguiram meu numero?", "how_number"),
        ("é da entrega? meu pacote ta parado faz 1 semana 😤", "delivery"),
        ("pode trazer o gás?", "delivery"),
        ("é o Cláudio agora, parei o caminhão. pode falar", "back_in_person"),
    ],
)
def test_who_wrote_and_what_they_think_this_is(text: str, flag: str) -> None:
    assert getattr(understand(text, TODAY), flag)


def test_where_the_number_came_from_is_told_after_the_cpf_without_a_pitch() -> None:
    told = talk(ctx(), "como vcs conseguiram meu numero?")[0]
    assert "Banco Aurora" in told.reply
    assert "R$" not in told.reply
