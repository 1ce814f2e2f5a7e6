"""The sensitive moments recognised across kinds of people, not single sentences.

`TUNED` are paraphrases the rules were corrected on; `FRESH` were written afterwards and never used to
adjust a rule: the honest figure, held to a rate rather than to every line.
"""

from __future__ import annotations

from datetime import date

import pytest

from certobot.negotiation.nlu import understand

TODAY = date(2026, 11, 22)

TUNED: dict[str, list[str]] = {
    "crisis": [
        "com tudo isso nao vejo motivo pra continuar vivendo",
        "to cansada de viver assim, nao quero mais acordar de manha",
        "vou tomar todos os meus remedios de uma vez e acabar com isso",
        "to no fundo do poço, tem dia que penso em fazer uma besteira",
        "se eu sumir ninguem vai sentir minha falta mesmo",
        "nao aguento mais essas cobranca, to pensando em me matar",
        "queria sumir, nao tenho mais vontade de viver",
        "minha vida nao tem mais sentido",
        "penso em suicidio",
        "melhor eu estar morta",
        "vou me jogar da ponte",
        "so quero morrer",
    ],
    "distress": ["to desesperada, nao sei o que fazer", "to com depressao e sem trabalho", "choro todo dia"],
    "violence": ["meu marido me bate e pega todo o meu dinheiro", "meu ex me ameaçou de morte"],
    "dispute": [
        "nao fui eu que fiz essa divida",
        "desconheço essa cobrança",
        "eu nunca tive cartao dessa loja",
        "alguem usou meu nome",
        "essa conta nao e minha, contesto",
        "meu cpf foi clonado",
    ],
    "deceased": ["meu marido faleceu mes passado", "a titular ja é falecida", "minha mae veio a obito"],
    "third_party": [
        "sou a esposa dele, ele ta trabalhando",
        "posso pagar pra minha filha?",
        "ela pediu pra eu resolver",
    ],
    "legal_threat": ["vou procurar meus direitos no procon", "vou botar vcs na justiça", "vou entrar com processo"],
    "anger": ["vcs sao uns ladroes", "vai tomar no cu", "seus golpistas safados"],
    "later": ["agora nao posso, to no serviço", "depois eu vejo isso", "to dirigindo, depois falo"],
    "cpf_why": ["pq vc quer meu cpf?", "nao passo meu cpf por zap", "nao vou informar cpf nenhum"],
    "prescription": ["essa divida ja prescreveu ne", "divida de 2018 ainda vale?", "ela nao ta prescrita?"],
    "breakdown": ["pq ta tao caro isso", "quanto disso é juros?", "como chegaram nesse valor"],
    "cancel": ["quero cancelar o acordo", "desisti", "me arrependi, cancela"],
    "second_copy": ["manda o boleto de novo", "perdi o boleto", "reenvia o pix"],
    "recall": ["quanto ficou mesmo?", "o que a gente combinou?", "me lembra do acordo"],
}

FRESH: dict[str, list[str]] = {
    "crisis": [
        "tenho vontade de me matar",
        "penso em acabar com a minha vida",
        "to pensando em dar um fim na minha vida",
        "eu nao quero mais viver assim",
        "ja pensei em suicidio varias vezes por causa dessa divida",
        "queria morrer",
        "minha vontade e sumir desse mundo",
        "nao tenho mais forças pra viver",
    ],
    "distress": ["to muito mal com tudo isso", "nao vejo saida", "to tendo crise de ansiedade por causa disso"],
    "violence": ["apanho do meu marido", "sofro violencia em casa"],
    "dispute": [
        "mas eu nao devo nada pra essa empresa",
        "nunca contratei emprestimo nenhum",
        "isso é fraude, nao reconheço esse contrato",
        "essa cobrança é indevida",
        "nao fiz compra nenhuma nessa loja",
    ],
    "deceased": [
        "o joao faleceu faz 2 meses",
        "ela morreu de covid",
        "meu pai é falecido desde o ano passado",
        "o titular ja faleceu, sou a viuva",
    ],
    "third_party": [
        "sou o filho dela, ela nao mexe no celular",
        "aqui é a namorada dele",
        "quero pagar essa divida pro meu pai",
        "esse celular é da minha vó",
        "ele esta viajando, pode falar comigo",
    ],
    "legal_threat": [
        "vou te processar",
        "vou levar isso pro juizado de pequenas causas",
        "ja falei com meu advogado sobre vcs",
        "vou no procon amanha cedo",
        "isso da danos morais",
    ],
    "anger": [
        "que merda é essa",
        "vcs sao uns abutres",
        "me deixem em paz caralho",
        "VERGONHA essa empresa",
        "ridiculo isso",
    ],
    "later": [
        "agora nao da, depois eu te respondo",
        "to ocupada agora",
        "mais tarde eu vejo",
        "me chama outro dia",
        "vou pensar e depois te falo",
    ],
    "cpf_why": [
        "por que voce precisa do meu cpf?",
        "pra que vcs querem meus dados",
        "nao vou passar meus dados",
        "e a lgpd?",
    ],
    "prescription": [
        "ja faz mais de cinco anos isso",
        "essa divida nao caducou?",
        "divida prescrita nao pode ser cobrada",
        "isso ja prescreveu faz tempo",
    ],
    "breakdown": [
        "quero ver os juros",
        "qual era o valor original?",
        "por que ta esse valor tao alto",
        "me explica de onde saiu esse valor",
        "tem multa nisso?",
    ],
    "cancel": ["quero desistir do acordo", "cancela o boleto por favor", "desfaz o acordo"],
    "second_copy": ["nao recebi o boleto", "pode mandar o boleto de novo?", "cade o pix"],
    "recall": ["quando vence a primeira?", "qual é o meu acordo?", "quanto ficou a parcela"],
}


@pytest.mark.parametrize(("intent", "text"), [(k, t) for k, v in TUNED.items() for t in v])
def test_tuned_paraphrases(intent: str, text: str) -> None:
    assert understand(text, TODAY).intent.value == intent


def test_fresh_paraphrases_hold_a_rate() -> None:
    rows = [(k, t) for k, v in FRESH.items() for t in v]
    wrong = [(k, t, understand(t, TODAY).intent.value) for k, t in rows if understand(t, TODAY).intent.value != k]
    assert len(wrong) / len(rows) <= 0.15, wrong


# Figures of speech about dying, killing or one's life, and other intents that share a word: none
# of them is a person in danger, and answering them with the CVV would stop a negotiation for nothing.
NOT_CRISIS = [
    "to me matando de trabalhar",
    "vou me matar de tanto trabalhar pra pagar isso",
    "vou morrer de fome desse jeito",
    "morri de rir com essa proposta",
    "essa divida ta me matando",
    "esses juros vao me matar",
    "vou matar essa divida logo",
    "vou fazer uma loucura e pagar a vista",
    "a vida ta dificil",
    "so quero resolver minha vida",
    "ele morreu ano passado",
]


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_figures_of_speech_are_not_a_crisis(text: str) -> None:
    assert understand(text, TODAY).intent.value != "crisis"


# A yes in words, with the money said to be missing or the offer mocked in the same message: never
# a yes the deal may close on (`accepts` is what `plain_yes` reads).
NOT_A_YES = [
    "claro, vou pagar com o dinheiro que eu nao tenho kkkk",
    "com certeza, assim que eu ganhar na mega sena",
    "aham, vou pagar sim, com que dinheiro?",
    "sim, nao tenho como pagar isso",
    "ok, nem tenho um real",
    "claro, vai sonhando",
    "pode ser, so pode ser piada isso",
]


# A yes with words that are not a yes, a courtesy or the terms' own ("senta lá", "pé de dinheiro",
# laughter): `accepts`, but not `plain`, so the bot asks once more with the exact terms.
NOT_PLAIN = [
    "aham, claro, senta la que eu vou pagar isso",
    "beleza, vou la no pe de dinheiro buscar",
    "claro kkkk",
    "fechado 😂",
]
PLAIN = [
    "Está bem, pode fechar. Muito obrigada.",
    "amém, pode fechar sim 🙏",
    "isso, fecha em 4x",
    "pode ser, manda o boleto",
    "ta bom, fecha no melhor que vc tiver entao",
    "👍",
]


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_a_yes_wrapped_in_other_words_is_not_plain(text: str) -> None:
    heard = understand(text, TODAY)
    assert heard.accepts
    assert not heard.plain


@pytest.mark.parametrize("text", PLAIN)
def test_a_yes_with_courtesy_and_terms_is_plain(text: str) -> None:
    assert understand(text, TODAY).plain


@pytest.mark.parametrize("text", NOT_A_YES)
def test_a_yes_that_says_the_money_is_not_there_accepts_nothing(text: str) -> None:
    assert not understand(text, TODAY).accepts


@pytest.mark.parametrize("text", ["fechado", "pode fechar", "sim, fechado, nao tem problema", "isso, pode mandar"])
def test_a_plain_yes_still_accepts(text: str) -> None:
    assert understand(text, TODAY).accepts


# "What can you do for me?": answered with the debt and both ways to pay (the debt question), never
# read as one way to pay, as anger, or as asking why the CPF.
@pytest.mark.parametrize(
    "text",
    [
        "quais as opcoes?",
        "quais sao as opções",
        "o que vc tem pra mim?",
        "que proposta vcs tem",
        "tem alguma proposta?",
        "me mostra as condições",
        "como faço pra pagar?",
    ],
)
def test_asking_for_the_options_is_a_question_about_the_debt(text: str) -> None:
    assert understand(text, TODAY).intent.value == "debt_question"


# Whose death or danger a message tells: the debtor's own family after the CPF is grief, not the
# titular's death; someone else in crisis is answered for whoever cares for them.
@pytest.mark.parametrize(
    ("text", "intent", "flag", "value"),
    [
        ("minha mae morreu semana passada", "deceased", "relative_died", True),
        ("perdi meu pai mes passado", "deceased", "relative_died", True),
        ("meu irmao faleceu e to sem cabeca", "deceased", "relative_died", True),
        ("ele faleceu mes passado, sou a esposa", "deceased", "relative_died", False),
        ("o titular faleceu", "deceased", "relative_died", False),
        ("minha mae ta falando em se matar por causa dessa divida", "crisis", "someone_else", True),
        ("meu filho tentou suicidio", "crisis", "someone_else", True),
        ("ela quer se matar e eu nao sei o que fazer", "crisis", "someone_else", True),
        ("to pensando em me matar", "crisis", "someone_else", False),
        ("penso em suicidio", "crisis", "someone_else", False),
    ],
)
def test_whose_death_or_danger_a_message_tells(text: str, intent: str, flag: str, value: bool) -> None:
    heard = understand(text, TODAY)
    assert heard.intent.value == intent
    assert getattr(heard, flag) is value


@pytest.mark.parametrize(
    ("text", "count"), [("manda em 3 boletos", 3), ("divide em 4 boletos", 4), ("em 4 prestacoes", 4)]
)
def test_a_count_of_boletos_is_a_count_of_installments(text: str, count: int) -> None:
    heard = understand(text, TODAY)
    assert heard.intent.value == "installments"
    assert heard.installments == count


@pytest.mark.parametrize(
    "text", ["vc pode me ligar? prefiro por telefone", "me liga amanha", "prefiro resolver por telefone"]
)
def test_asking_for_a_call_is_asking_for_a_person(text: str) -> None:
    assert understand(text, TODAY).intent.value == "human"


def test_complaining_about_calls_is_not_asking_for_one() -> None:
    assert understand("vcs me ligam todo dia 7 da manha, que falta de respeito", TODAY).intent.value != "human"


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("acho que vcs se enganaram, esse numero e meu faz pouco tempo", True),
        ("esse chip é novo", True),
        ("meu numero novo e esse", False),
    ],
)
def test_a_new_owner_of_the_number_is_the_wrong_person_and_a_new_number_is_not(text: str, wrong: bool) -> None:
    assert (understand(text, TODAY).intent.value == "wrong_person") is wrong
