"""What the bot says outside the negotiation itself: identity, special cases, endings.

Nothing here mentions the debt: most of these lines are said before identity is confirmed. Each
situation has a few phrasings, picked by the turn number so that the bot does not sound like a menu
and tests stay reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

from certobot.templates.active import Phrases


def pick(options: Sequence[str], turn: int) -> str:
    said = tuple(options)  # once: an edit landing between len() and [] cannot shift the index
    return said[turn % len(said)]


GREETING = Phrases(
    "greeting",
    (
        "Oi! Tudo bem? Aqui é a Certa, assistente virtual da {creditor}. Tenho um assunto pessoal pra tratar "
        "com o titular deste número. Pra sua segurança, me confirma só os 3 primeiros dígitos do seu CPF?",
        "Olá! Sou a Certa, assistente virtual da {creditor} 😊 Antes de qualquer coisa, preciso confirmar que "
        "estou falando com a pessoa certa: quais são os 3 primeiros números do seu CPF?",
    ),
)
SAY_AGAIN = ("Reforçando: ", "Só pra lembrar: ", "De novo, com calma: ")
ASK_DIGITS_AGAIN = Phrases(
    "ask_digits_again",
    (
        "Pra eu seguir, me manda só os 3 primeiros números do seu CPF, tipo 123.",
        "Antes de tudo, preciso confirmar quem é você: quais são os três primeiros dígitos do seu CPF?",
        "Pra seguir eu preciso só dos 3 primeiros números do seu CPF, tá? Só eles, nada mais.",
    ),
)
WRONG_DIGITS = Phrases(
    "wrong_digits",
    (
        "Hmm, esses números não batem com o cadastro. Pode conferir e me mandar de novo? "
        "Você ainda tem {left} tentativa{s}.",
        "Não conferiu aqui 😕 Dá uma olhadinha no documento e me manda os 3 primeiros dígitos de novo "
        "({left} tentativa{s} restante{s}).",
    ),
)
VALIDATION_FAILED = Phrases(
    "validation_failed",
    (
        "Não consegui confirmar sua identidade, então, por segurança, vou encerrar por aqui. "
        "Se você for o titular, pode nos chamar de novo mais tarde. Obrigada pela paciência!",
    ),
)
UNKNOWN_NUMBER = Phrases(
    "unknown_number",
    (
        "Oi! Aqui é a Certa, assistente virtual da {creditor}. Não encontrei nenhum cadastro ligado a este "
        "número. Se você recebeu uma mensagem nossa, pode ser que o número esteja desatualizado. "
        "Obrigada pelo contato!",
    ),
)
OPT_OUT = Phrases(
    "opt_out",
    (
        "Tudo certo, tirei seu número da nossa lista: não vou mais te mandar mensagens por aqui. Se mudar de ideia, "
        "é só me chamar. Obrigada!",
        "Pode deixar: anotei aqui e você não vai mais receber nossas mensagens. Qualquer coisa, é só chamar.",
    ),
)
WRONG_PERSON = Phrases(
    "wrong_person",
    (
        "Poxa, desculpa o incômodo! Vou registrar que este número não é da pessoa que procuramos e não vamos "
        "mais te chamar. Tenha um ótimo dia!",
    ),
)
HANDOFF = Phrases(
    "handoff",
    (
        "Claro! Vou chamar uma pessoa da nossa equipe pra continuar com você. É só aguardar um pouquinho aqui mesmo.",
        "Combinado, já estou passando sua conversa pra alguém da equipe. Logo, logo te respondem por aqui.",
    ),
)
# The team's switch "everything to people" is on: one kind line, nothing about the debt (who writes
# may not be the debtor yet).
TO_PEOPLE = (
    "Oi! Recebi sua mensagem 😊 Agora quem vai te atender por aqui é uma pessoa da nossa equipe. "
    "É só aguardar um pouquinho que já te respondem.",
)
MEDIA = Phrases(
    "media",
    (
        "Ainda não consigo ouvir áudio nem ver foto ou figurinha por aqui 🙈 Pode me escrever em texto?",
        "Opa, esse tipo de mensagem eu não consigo abrir. Me conta por escrito, por favor?",
        "Esse eu não consigo abrir, desculpa! Se puder escrever, eu te respondo na hora.",
    ),
)
BOT_BEFORE_VALIDATION = Phrases(
    "bot_before_validation",
    (
        "Sou sim, sou uma assistente virtual! Se preferir falar com uma pessoa, é só pedir. "
        "Mas antes, me confirma os 3 primeiros dígitos do seu CPF?",
    ),
)
IDENTITY_BEFORE_VALIDATION = Phrases(
    "identity_before_validation",
    (
        "Aqui é a assistente virtual da {creditor}, CNPJ {cnpj}. Você pode conferir esse CNPJ no site da "
        "Receita Federal. A gente nunca pede senha e nunca pede pagamento para outro nome. "
        "Pra continuar, me confirma os 3 primeiros dígitos do seu CPF?",
        # Asked again ("minha irmã caiu num golpe", "vão pedir código?"): the same facts, other words.
        "Desconfiar é certo, viu? Por aqui você nunca vai ter que passar senha, código que chega por SMS ou "
        "WhatsApp, nem dados de cartão. Somos a {creditor} (CNPJ {cnpj}), e seu número está no cadastro do "
        "cliente que nos contratou. Pra eu saber que falo com a pessoa certa, basta os 3 primeiros dígitos do CPF.",
        "Pode confiar e conferir: a {creditor} tem o CNPJ {cnpj} registrado na Receita Federal. Nenhum código, "
        "senha ou PIX é pedido nesta conversa, e qualquer pagamento sai só em nome dela. Se quiser seguir, me diz "
        "os 3 primeiros números do seu CPF.",
    ),
)
TIMEOUT = Phrases(
    "timeout",
    (
        "Como não tive mais resposta, vou encerrar nossa conversa por enquanto. Quando quiser retomar, "
        "é só mandar um oi por aqui! 😊",
    ),
)
AGREEMENT_DELIVERY = Phrases(
    "agreement_delivery",
    (
        "Já já te mando o boleto em PDF e o código PIX copia e cola aqui mesmo.",
        "Em instantes chegam aqui o boleto em PDF e o código PIX pra você pagar como preferir.",
    ),
)
IDENTITY_LOCKED = Phrases(
    "identity_locked",
    (
        "Por segurança, não consigo seguir com a confirmação de identidade por aqui agora: recebemos "
        "várias tentativas que não conferiram. Já passei sua conversa pra uma pessoa da nossa equipe, "
        "que vai te ajudar por aqui mesmo. Desculpa o transtorno!",
    ),
)
SECOND_FACTOR_ASK = Phrases(
    "second_factor_ask",
    (
        "Obrigada! Só mais uma confirmação, por segurança: em que mês venceu a dívida que a gente vai "
        "conversar? Pode mandar o nome do mês ou o número (ex.: março ou 3).",
    ),
)
SECOND_FACTOR_AGAIN = Phrases(
    "second_factor_again",
    (
        'Não entendi o mês 🤔 Me manda só o mês do vencimento, tipo "março" ou "3".',
        "Pra confirmar, preciso só do mês em que a dívida venceu: o nome ou o número, tá?",
    ),
)
OPERATOR_RETURNED = Phrases(
    "operator_returned",
    ("Voltei! Sou a Certa, assistente virtual. Se quiser continuar a negociação comigo, é só me responder.",),
)


def wrong_digits(left: int, turn: int) -> str:
    s = "" if left == 1 else "s"
    return pick(WRONG_DIGITS, turn).format(left=left, s=s)


# Someone who speaks of ending their life. Not a template the team edits: the CVV's number and the
# SAMU's must reach the person whatever the wording, and nothing here is about the debt (it is said
# before identity too). CVV: free, 24 hours, by phone (188) or chat; SAMU (192) for danger right now.
CRISIS = (
    "Sinto muito que você esteja passando por isso, e obrigada por me contar. Agora o mais importante é você, "
    "não a cobrança: vou parar por aqui e não vou te mandar proposta nenhuma. Se estiver pensando em tirar a "
    "própria vida, o CVV conversa com você agora, de graça e a qualquer hora: ligue *188* ou acesse "
    "cvv.org.br. Se estiver em perigo neste momento, ligue *192* (SAMU). Você não está só nessa.",
    "Obrigada por confiar em mim e me contar isso. A cobrança pode esperar, você não: vou pausar as nossas "
    "mensagens. O CVV atende de graça, 24 horas, pelo *188* ou pelo chat em cvv.org.br, e se houver perigo "
    "agora, o SAMU atende no *192*. Se quiser conversar com alguém da nossa equipe depois, é só escrever aqui.",
)

# The same danger told of another person ("minha mãe fala em se matar"): help for them, nothing about
# any debt (the writer may not be the debtor), and the team told. Not editable, as CRISIS.
CRISIS_OF_ANOTHER = (
    "Sinto muito, isso é mais importante que qualquer cobrança, e não vou falar de dívida agora. Se essa pessoa "
    "corre risco neste momento, ligue *192* (SAMU) e, se puder, fique perto dela. O CVV também orienta quem está "
    "por perto, de graça e a qualquer hora: *188* ou cvv.org.br. Vou pausar as nossas mensagens e avisar a equipe.",
    "Obrigada por me avisar. A dívida pode esperar: vou pausar as mensagens de cobrança. Se houver perigo agora, "
    "ligue *192* (SAMU); o CVV atende no *188*, 24 horas, e ajuda também quem está cuidando de alguém.",
)
# After a crisis, while nobody of the team has written yet: each new message is answered, never left
# in silence, with the same two numbers and nothing about any debt. Not editable, as CRISIS.
CRISIS_WAITING = (
    "Estou aqui e li sua mensagem. Uma pessoa da nossa equipe vai te responder por aqui. Enquanto isso, o CVV "
    "conversa com você agora mesmo, de graça e a qualquer hora: *188* ou cvv.org.br. Se houver perigo neste "
    "momento, ligue *192* (SAMU).",
    "Recebi, obrigada por escrever. Alguém da equipe já foi avisado e vai falar com você. Se precisar de alguém "
    "agora, ligue *188* (CVV, 24 horas, de graça); em perigo, *192*.",
    "Continuo aqui. Não vou falar de cobrança. O *188* (CVV) atende agora, de dia ou de noite, e o *192* (SAMU) "
    "se alguém estiver em perigo. A nossa equipe vai te responder por aqui.",
)
# Despair that is not a wish to die, before the CPF: nothing about the debt, a kind word, the CVV for
# when it weighs too much, and the way on when the person wants it. Not editable, as CRISIS.
DISTRESS_BEFORE_VALIDATION = (
    "Sinto muito que esteja tão difícil. Não precisa resolver nada agora. Se a cabeça pesar demais, o CVV "
    "escuta de graça, a qualquer hora, no *188*. Quando quiser seguir comigo, sem pressa, me manda os 3 "
    "primeiros dígitos do seu CPF; se preferir uma pessoa, escreva *atendente*.",
    "Obrigada por me contar, e sinto muito. Sem pressa nenhuma: quando e se quiser seguir, me manda os 3 "
    "primeiros dígitos do CPF. E se precisar desabafar com alguém, o CVV atende no *188*, 24 horas.",
)

# Violence at home, before or after the CPF: nothing about the debt in it. Ligue 180 (Central de
# Atendimento à Mulher: free, 24 hours, also for advice), 190 for danger right now. Not editable.
VIOLENCE = (
    "Sinto muito pelo que você está passando, e obrigada por me contar. Você não tem culpa. A Central de "
    "Atendimento à Mulher atende de graça, 24 horas, no *180* (orientação e denúncia), e se estiver em perigo "
    "agora, ligue *190*. A cobrança não é o mais importante agora: não vou te mandar proposta. Se quiser "
    "falar com uma pessoa da nossa equipe, escreva *atendente*; se quiser retomar depois, é só me chamar.",
    "Obrigada por confiar em mim. Ninguém merece passar por isso. O *180* atende de graça, 24 horas, pra "
    "orientar e proteger, e o *190* se houver perigo agora. Sem pressa com a dívida: quando e se você quiser, "
    "a gente conversa, ou escreva *atendente* pra falar com uma pessoa.",
)


DECEASED = Phrases(
    "deceased",
    (
        "Sinto muito pela sua perda 🙏 Não vou tratar de cobrança com você. Vou registrar o que me contou e este "
        "número não vai mais receber nossas mensagens. Se a família precisar de alguma informação, a {creditor} "
        "atende quando vocês quiserem, sem pressa.",
    ),
)
CPF_WHY = Phrases(
    "cpf_why",
    (
        "Boa pergunta! Peço só os 3 primeiros dígitos do CPF pra ter certeza de que estou falando com o titular "
        "antes de tratar de um assunto pessoal: é a proteção de dados (LGPD) funcionando a seu favor. Não peço "
        "o CPF inteiro, nem senha. Pode me mandar esses 3 primeiros números?",
        "É pra sua segurança: o assunto é pessoal e, pela LGPD, só posso falar dele com o titular. Por isso confiro "
        "só os 3 primeiros dígitos do CPF, nada mais. Me manda quando puder?",
    ),
)
CALM_BEFORE_VALIDATION = Phrases(
    "calm_before_validation",
    (
        "Entendo, e sinto muito pelo incômodo. Se preferir falar com uma pessoa, é só escrever *atendente*; se "
        "não quiser mais mensagens, escreva *PARAR*. Se quiser seguir comigo, preciso só dos 3 primeiros dígitos "
        "do seu CPF.",
        "Peço desculpas pelo transtorno. Posso te passar pra uma pessoa da equipe (escreva *atendente*) ou parar "
        "por aqui (escreva *PARAR*), como preferir.",
    ),
)
LATER_BEFORE_VALIDATION = Phrases(
    "later_before_validation",
    (
        "Combinado, sem problema: respeito seu tempo. Quando puder, é só me mandar um oi por aqui.",
        "Claro, sem pressa! Não vou insistir agora. Quando estiver livre, me chama aqui que a gente conversa.",
    ),
)
ASSISTED_BEFORE_VALIDATION = Phrases(
    "assisted_before_validation",
    (
        "Tudo bem, pode escrever por quem está do seu lado, desde que seja o titular e esteja de acordo. Pra "
        "segurança, me manda os 3 primeiros dígitos do CPF do titular, ditos por ele mesmo.",
    ),
)
HARDSHIP_BEFORE_VALIDATION = Phrases(
    "hardship_before_validation",
    (
        "Sinto muito, sei que não tá fácil. A gente consegue ver uma condição que caiba no seu bolso; antes, pra "
        "sua segurança, me confirma só os 3 primeiros dígitos do seu CPF?",
    ),
)
GOODBYE_BEFORE_VALIDATION = Phrases(
    "goodbye_before_validation",
    (
        "Tudo bem, sem problema. Sem os 3 primeiros dígitos eu não consigo falar do assunto, é pra sua "
        "segurança. Se quiser retomar, é só mandar um oi por aqui. Até mais!",
    ),
)
DEBT_BEFORE_VALIDATION = Phrases(
    "debt_before_validation",
    (
        "Consigo te explicar tudo, mas antes preciso confirmar que falo com o titular: me manda os 3 primeiros "
        "dígitos do seu CPF? Se este número não for seu, é só dizer.",
        "Pra falar desse assunto eu preciso primeiro confirmar sua identidade. Quais são os 3 primeiros números "
        "do seu CPF?",
    ),
)
AFTER_THIRD_PARTY = Phrases(
    "after_third_party",
    (
        "Como te disse, só posso tratar desse assunto com o próprio titular, então não passo nenhuma informação "
        "por aqui. Peça pra pessoa falar com a gente direto, pelo WhatsApp dela.",
        "Por segurança, sigo sem poder falar desse assunto com outra pessoa além do titular. Ele ou ela pode nos "
        "chamar direto quando quiser.",
    ),
)
AFTER_DECEASED = Phrases(
    "after_deceased",
    (
        "Sentimos muito. Não vamos tratar de cobrança por aqui e este número não vai mais receber nossas mensagens.",
        "Está tudo registrado, e ninguém vai cobrar nada por este número. Nossos sentimentos à família.",
    ),
)
AFTER_DISPUTE = Phrases(
    "after_dispute",
    (
        "Sua contestação está registrada e a cobrança dessa dívida segue suspensa enquanto a {creditor} analisa. "
        "A resposta chega por aqui em até 10 dias úteis.",
        "Entendo, e é seu direito pedir isso. A análise da sua contestação continua, sem cobrança enquanto isso; "
        "quando a {creditor} tiver a resposta, com a origem e os documentos, te avisa por aqui.",
    ),
)
AFTER_BLOCKED = Phrases(
    "after_blocked",
    (
        "Como te contei, não há nada a cobrar de você por aqui, {name}, e nenhum boleto vai ser enviado. "
        "Se quiser falar com uma pessoa, escreva *atendente*.",
        "Nada mudou desde a última mensagem: não existe cobrança ativa pra você por aqui. Se precisar de uma "
        "pessoa, é só escrever *atendente*.",
    ),
)
# After a paid, prescribed or disputed ending: the reason again, in other words each time.
AFTER_BLOCKED_BY_REASON = {
    "debt_paid": (
        "Como te contei, {name}, essa dívida já está paga: não há boleto nenhum a pagar.",
        "Aqui consta tudo quitado, {name}, então não existe boleto pra ela. Se algo parecer errado, escreva "
        "*atendente*.",
    ),
    "debt_prescribed": (
        "Como te contei, {name}, essa dívida está prescrita (mais de 5 anos), então não há boleto pra ela. "
        "Se quiser quitar por vontade própria, escreva *atendente*.",
        "Ela segue prescrita, {name}: ninguém pode te cobrar por ela. Pra pagar mesmo assim, uma pessoa da "
        "equipe te ajuda (escreva *atendente*).",
    ),
    "debt_disputed": (
        "Sua contestação segue em análise, {name}, e enquanto isso não há cobrança nem boleto dessa dívida.",
        "Ainda estamos analisando a sua contestação, {name}; a resposta chega por aqui, sem boleto até lá.",
    ),
}


# After an ending that may be resumed (a "depois", a no), a bare acknowledgement gets a kind word.
AFTER_ACKNOWLEDGED = Phrases(
    "after_acknowledged",
    (
        "Combinado! Fico por aqui. Quando quiser retomar, é só me mandar uma mensagem. 😊",
        "Tudo certo, então. Estou por aqui se precisar: é só escrever.",
    ),
)
# After "já paguei" was recorded: what to do next is nothing but wait for the team's check (or send the
# receipt), never an offer to someone who says they owe nothing.
AFTER_CLAIMED_PAID = Phrases(
    "after_claimed_paid",
    (
        "Você não precisa fazer mais nada agora: a informação do seu pagamento já está com a equipe, e a "
        "cobrança fica parada enquanto ela confere. Se tiver o comprovante, pode mandar uma foto aqui, que ajuda a "
        "conferir mais rápido. A resposta vem por aqui.",
        "Pode ficar em paz: enquanto a equipe confere o pagamento que você informou, ninguém te cobra. "
        "Se quiser agilizar, manda aqui a foto do comprovante. Qualquer novidade, te aviso por aqui.",
    ),
)
# After "este número não é dele": more from the same phone ("tira o número aí", "ok") is told it is done,
# never "não encontrei cadastro" as if nothing had been said.
AFTER_WRONG_NUMBER = Phrases(
    "after_wrong_number",
    (
        "Pronto: este número já saiu da nossa lista e não vai mais receber mensagens nossas. Desculpa o incômodo!",
        "Já está feito: tirei este número da lista, ninguém daqui volta a chamar. Obrigada pela paciência!",
    ),
)
