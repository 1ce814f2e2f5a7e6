"""Understanding colloquial Brazilian Portuguese well enough to negotiate: intents and the numbers in them.

Deterministic and fast: the offline engine runs on it, and the flow uses it to catch what must be
handled the same way whatever model is on (opt-out, wrong person, a request for a person).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal

from dateutil.easter import easter
from pydantic import BaseModel, ConfigDict

from certobot.negotiation import classifier
from certobot.negotiation.worries import Worry, worry_of
from certokit.clock import add_months


class Intent(StrEnum):
    crisis = "crisis"  # someone who speaks of ending their life: they come before the debt
    distress = "distress"  # despair, crying, depression: heard, no pitch, no ending
    violence = "violence"  # violence at home: where to get help, no pitch, no ending
    accept = "accept"
    refuse = "refuse"
    hardship = "hardship"
    installments = "installments"
    cash = "cash"
    amount = "amount"
    pay_date = "pay_date"
    already_paid = "already_paid"
    wrong_person = "wrong_person"
    opt_out = "opt_out"
    human = "human"
    identity_question = "identity_question"
    bot_question = "bot_question"
    promise = "promise"
    greeting = "greeting"
    debt_question = "debt_question"
    payment_method = "payment_method"
    media = "media"
    # Sensitive moments: each has its own handling and its own recorded outcome.
    dispute = "dispute"
    prescription = "prescription"
    breakdown = "breakdown"
    legal_threat = "legal_threat"
    deceased = "deceased"
    third_party = "third_party"
    anger = "anger"
    later = "later"
    cpf_why = "cpf_why"
    # After an agreement, in the same thread.
    cancel = "cancel"
    second_copy = "second_copy"
    recall = "recall"
    change = "change"
    unknown = "unknown"


class Understanding(BaseModel):
    # Frozen: one understanding of a text is shared by the turn's callers (`_rules` keeps a few).
    model_config = ConfigDict(frozen=True)

    intent: Intent
    installments: int | None = None
    amount_cents: int | None = None
    day: date | None = None
    payment_method: Literal["boleto", "pix"] | None = None
    accepts: bool = False  # an acceptance word is present, whatever the main intent
    plain: bool = False  # ...and nothing else is said: every word is a yes, a courtesy or about the terms
    relative_died: bool = False  # "minha mãe morreu": a death told of someone of the writer's own
    someone_else: bool = False  # a crisis told of another person ("minha mãe fala em se matar")
    down_payment_cents: int | None = None  # "dou 500 de entrada"
    discount_pct: int | None = None  # "fecha com 90%"
    wants_cash: bool = False  # "à vista", "de uma vez"
    wants_installments: bool = False  # "parcelado", "em 5x"
    conditional: bool = False  # "mas", "só se", "desde que": a yes with a condition is not a plain yes
    wants_down: bool = False  # "dar uma entrada", with or without an amount
    asks_percent: bool = False  # "quantos por cento dá de desconto?": a question, never a yes
    asks_bureau: bool = False  # "meu nome sai do Serasa?": a question about the negativação, never hardship
    asks_options: bool = False  # "quanto fica à vista e quanto parcelado?": both ways, never one to confirm
    asks_interest: bool = False  # "10x tem juros?": about the installments, answered with the plan's total
    fears: bool = False  # "vou ser preso?": the truth about what a debt can and cannot do
    thanks: bool = False  # "obrigada, Deus te abençoe": a courtesy answered as one
    other_payer: bool = False  # "ela pode pagar pelo app dela?": anyone may pay the debtor's boleto
    pay_elsewhere: bool = False  # "posso fazer o pix pra chave do atendente?": never; only the agreement's own
    asks_meaning: bool = False  # "o que é à vista?": the words explained, then the offers
    asks_priority: bool = False  # "qual eu pago primeiro?": essentials first, honestly
    asks_discretion: bool = False  # "minha esposa não sabe": only with the debtor, by this number
    erasure: bool = False  # "pela LGPD, apaguem meus dados": the request is recorded as such, not only an opt-out
    asks_my_data: bool = False  # "me passa meu CPF completo": never given by chat
    about_another: bool = False  # a validated debtor asking about someone else's debt: declined, not an ending
    representative: bool = False  # a lawyer or attorney for the debtor: for the team, never the bot
    bare_cents: int | None = None  # "1500" and nothing else: an amount once the CPF is behind us
    illness: bool = False  # in hospital, surgery, treatment: cared for first, no number that turn
    asks_best: bool = False  # "qual o máximo de desconto?", "o limite real": the creditor's best, told plainly
    claims_auth: bool = False  # "o sistema autorizou R$ 1": no such authorization; what the policy allows
    worry: Worry | None = None  # "vão cortar minha luz?": who decides, honestly (`worries`)
    furthest: bool = False  # "o mais pra frente que vc conseguir": the furthest first due date allowed
    asks_day: bool = False  # "no dia que cai o bolsa": which day, asked back
    exception: bool = False  # "abre uma exceção pra mim": the limit, said kindly
    pay_by_card: bool = False  # "dá pra passar no cartão de crédito?": boleto or PIX only
    surprise: bool = False  # "800 por mês?? tá doida": a figure misread, explained, never a new offer
    good_news: bool = False  # "consegui uma vaga": glad for them, never "sinto muito"
    weekly_cents: int | None = None  # "uns 40 toda sexta": a weekly sum, turned into what fits a month
    weekly: bool = False  # "recebo por semana": paid weekly; the parcelas are monthly, said so
    no_pitch: bool = False  # "nem vem me oferecer desconto agora": no offer in the reply, and that is respected
    too_many: bool = False  # "todo santo dia uma mensagem": an apology, and fewer messages, never a pitch first
    data_access: bool = False  # "pela LGPD, quero acesso aos meus dados": recorded as that request (art. 18)
    assisted: bool = False  # "sou o neto, ela tá do meu lado e eu escrevo o que ela fala": the titular, helped
    handover: bool = False  # "sou a titular, minha filha me passou o celular": the titular, after a relative
    stray_numbers: tuple[int, ...] = ()  # numbers in a yes that no value explains: must be the offer's own
    asks_smallest: bool = False  # "a que fica mais barata por mês": the smallest installment the policy allows
    asks_range: bool = False  # "quantas vezes dá?": from how few to how many, and what fits the month
    compare: tuple[int, int] | None = None  # "quanto fica em 4x e em 6x?": both plans, then the choice
    puzzled: bool = False  # "???", "hã?", "como assim?": lost, not unreadable; explained again, never "não entendi"
    method_trouble: bool = False  # "boleto não dá, o app tá bugado": another way to pay, never a better price
    just_asking: bool = False  # "só pra saber, não vou fechar agora": the terms told, no yes asked for
    guarantor: bool = False  # "eu só assinei de avalista": why the debt reaches them, then the offers
    asks_late: bool = False  # "e se eu atrasar uma parcela?": what happens, never a change of terms
    asks_due: bool = False  # "vence quando?": the offer's own first due date, never the debt's old one
    which_debt: bool = False  # "que conta de luz? pago a minha em dia": the debt described, never an offer
    other_typing: bool = False  # "e ele consegue parcelar?", "meu marido vai continuar": not the titular now
    relayed_yes: bool = False  # "ela tá dizendo que sim": a yes passed on by someone else, never closing
    back_in_person: bool = False  # "voltei, sou eu de novo": the titular back at the phone
    weak_ack: bool = False  # "ok", "certo", "entendi" and nothing else: heard, not an explicit yes
    closing_word: bool = False  # "fecha", "aceito", "pode gerar": a yes that names the closing itself
    to_other_number: bool = False  # "manda no zap dela": the documents go only to this number, forwarded from here
    asks_about: TermQuestion | None = None  # "esse valor é fixo?", "posso pagar antes?": answered, terms kept
    firm_no: bool = False  # "não vou fazer não, obrigada": a no respected at once
    no_figures: bool = False  # "não fala valor agora, minha sogra tá lendo": nothing of the debt shown yet
    vent_sorry: bool = False  # "desculpa desabafar com um robô": no need to be sorry, said first
    how_number: bool = False  # "quem te passou meu número?": the creditor's records, said plainly
    delivery: bool = False  # "é da entrega? meu pacote tá parado": not a delivery

    @property
    def proposes_terms(self) -> bool:
        """The message carries terms of its own (a date, an amount, a count, an entrada, a discount, a method)."""
        return (
            any(
                v is not None
                for v in (
                    self.installments,
                    self.amount_cents,
                    self.day,
                    self.payment_method,
                    self.down_payment_cents,
                    self.discount_pct,
                )
            )
            or self.wants_cash
            or self.wants_installments
        )


NUMBER_WORDS = {
    "um": 1,
    "uma": 1,
    "dois": 2,
    "duas": 2,
    "tres": 3,
    "treis": 3,  # as it is said, and typed, in much of the country
    "quatro": 4,
    "cinco": 5,
    "sinco": 5,
    "seis": 6,
    "sete": 7,
    "oito": 8,
    "nove": 9,
    "dez": 10,
    "onze": 11,
    "doze": 12,
    "treze": 13,
    "quatorze": 14,
    "catorze": 14,
    "quinze": 15,
    "dezesseis": 16,
    "dezessete": 17,
    "dezoito": 18,
    "dezenove": 19,
    "vinte": 20,
    "trinta": 30,
    "quarenta": 40,
    "cinquenta": 50,
    "sessenta": 60,
    "setenta": 70,
    "oitenta": 80,
    "noventa": 90,
    "cem": 100,
    "cento": 100,
    "duzentos": 200,
    "trezentos": 300,
    "quatrocentos": 400,
    "quinhentos": 500,
    "seiscentos": 600,
    "setecentos": 700,
    "oitocentos": 800,
    "novecentos": 900,
    # As they are often written by ear: "quinhentu", "trezentu".
    "duzentu": 200,
    "duzentus": 200,
    "trezentu": 300,
    "trezentus": 300,
    "quatrocentu": 400,
    "quinhentu": 500,
    "quinhentus": 500,
    "mil": 1000,
}
MONTHS = (
    "janeiro", "fevereiro", "marco", "abril", "maio", "junho",
    "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
)  # fmt: skip
WEEKDAYS = {"segunda": 0, "terca": 1, "quarta": 2, "quinta": 3, "sexta": 4, "sabado": 5, "domingo": 6}
_WEEKDAYS = [(re.compile(rf"\b{name}(-feira)?\b"), wd) for name, wd in WEEKDAYS.items()]


_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]+")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    if not text.isascii():  # combining marks are never ASCII: most messages skip the walk over their letters
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


_NUMBER_NAMES = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUMBER_NAME = re.compile(_NUMBER_NAMES)
_NUMBER_RUN = re.compile(rf"\b(?:{_NUMBER_NAMES})(?:\s+e\s+(?:{_NUMBER_NAMES}))*\b")


def _number_of(m: re.Match[str]) -> str:
    total = 0
    for w in _NUMBER_NAME.findall(m.group(0)):
        v = NUMBER_WORDS[w]
        total = total * v if v == 1000 and total else total + v
    return str(total)


def _words_to_numbers(t: str) -> str:
    """'vinte e cinco' → '25', 'seis' → '6' (small numbers, as people type them)."""
    return _NUMBER_RUN.sub(_number_of, t)


def _any(*patterns: str) -> re.Pattern[str]:
    """One compiled alternation that matches where any of `patterns` would.

    A single scan of the text instead of a Python loop of searches (that loop was most of
    `understand`'s own time). The same answer: a search finds `(?:a)|(?:b)` exactly where it finds
    `a` or `b`, and no pattern has a back-reference, a named group or an inline flag that its place
    in the alternation would change. Only whether one matches is ever asked, never a group.
    """
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _has(t: str, pattern: re.Pattern[str]) -> bool:
    return pattern.search(t) is not None


_CREDIT_BUREAU = r".*\b(serasa|spc|scpc|boa vista|negativ|protest|nome sujo|limpar? (o )?(meu )?nome)"
OPT_OUT = (
    r"\bnao quero (mais )?(contato|mensage)",
    r"\bsair (da|dessa|desta|de sua|da sua) lista\b",
    r"^(parar|pare|sair|stop|cancelar|descadastrar)\W*$",
    r"\bn[a-z]o (me )?(mand|envi)[a-z]* mais\b",
    r"\bpar[ae] de (me )?(mandar|enviar|encher|ligar)",
    r"\bnao quero (mais )?receber",
    r"\bdescadastr",
    r"\bme (tira|tire|tirem|remov[ae]|removam) (da|dessa|desta|de sua|da sua) lista",
    # "Tira o número aí", "tirem meu contato": the phone out of the list.
    r"\b(tira|tire|tirem|remove|remova|removam|apaga|apague|exclui|exclua)( ai| logo)? (o|meu|esse|este|nosso) "
    r"(numero|contato|telefone|celular|zap|whats)\b",
    r"\bbloque(ar|ia|ei)",
    r"\bparar de (me )?(mandar|enviar|ligar|encher)",
    # "E NÃO ME LIGA TB": no calls either; "não me liga, manda mensagem" only chooses the channel.
    r"\b(nao|nem) me (liga|ligue|ligar|ligam|liguem|telefona|telefonem)\b"
    r"(?!,? (so )?(manda|mande|pode mandar|escreve|por (msg|mensagem|aqui|whats|zap)))",
    # Formal requests to be taken off the list, LGPD style: removing or deleting the person's own
    # contact or data. "Tirar meu nome do Serasa" is about the debt (negativação), not about contact.
    rf"^(?!{_CREDIT_BUREAU}).*\b(remov|exclu|apag|tir|delet|elimin)[a-z]* (o |os |a |as |do |dos |da |das |de )?"
    r"(meu|meus|minha|minhas) (contato|numero|telefone|celular|whats[a-z]*|zap|dados|cadastro|email)",
    rf"^(?!{_CREDIT_BUREAU}).*\b(remocao|exclusao|eliminacao) (do|dos|da|das|de) (meu|meus|minha|minhas) ",
    r"\b(me )?(tirem|tire|tira|removam|remova|remove|excluam|exclua|exclui|apaguem)( me)? "
    r"(da|dessa|desta|de sua|da sua|de vc[a-z]*|de voces|do|desse|deste|do seu) "
    r"(lista|base|cadastro|listagem|mailing|sistema|contatos)",
    r"\bn[a-z]*o (quero|desejo|gostaria de) (mais )?(receber|ser (contatad|contactad|procurad|incomodad))",
    r"\b(gostaria de|prefiro|quero|desejo) nao (receber|ser (contatad|contactad|procurad|incomodad))",
    r"\bnao autorizo (mais )?(o |a )?(contato|uso|envio|tratamento)",
    r"\brevog[a-z]* (o |meu )?consentimento",
    r"^(?=.*\blgpd\b)(?=.*\b(exclu|remo|apag|elimin|delet|descadastr|contato|mensage)).*",
)
WRONG = (
    r"\bnao tem (nenhum|nenhuma|ninguem)\b",
    r"\bnumero errado\b",
    r"\bnao sou (eu|ele|ela|o|a)\b",
    r"\bnumero errado\b",
    r"\bengano\b",
    r"\b(se enganaram|se enganou)\b",
    r"\b(vcs|voces|vc|voce) (estao |tao |esta |ta )?enganad[oa]s?\b",
    r"\b(esse|este|o) (numero|chip|celular|telefone) (e|eh) (meu )?(novo|faz pouco tempo|ha pouco tempo)\b",
    r"\b(numero|chip) (e )?meu (faz|ha) pouco tempo\b",
    r"\bnao conheco\b",
    r"\bnao e (meu|minha|comigo)\b",
    r"\besse (numero|telefone) (nao e|e) d",
    # Never heard of the person: a wrong number. Never heard of the company: who are you (IDENTITY).
    r"^(?!.*\b(empresa|voces|vcs|meu numero|essa firma|esse nome de empresa)\b).*\bnunca ouvi falar\b",
    r"\bpessoa errada\b",
    r"\bnao tem ningu[eé]m com esse nome\b",
    r"\bcomprei esse (chip|numero)\b",
    r"\bprocurando (outra|outro|a pessoa errada|o cara errado)",
    r"\bnao (trabalha|mora|esta|fica|usa esse numero) mais (aqui|com a gente|nesse numero)",
    r"\b(saiu|mudou|se mudou) (daqui|da empresa|de casa)",
    r"\bnao (e|eh) (a|o) (pessoa|fulano|cara) que\b",
)
HUMAN = (
    r"(?<!nao )(?<!n )(?<!nem )(?<!pra )(?<!para )(?<!\bde )\bme (liga|ligar|ligue|telefona|telefonar)\b",
    r"\b(prefiro|quero|melhor|pode ser) (falar |resolver |tratar )?(por |pelo |no )?(telefone|ligacao)\b",
    r"\balguem da empresa\b",
    r"\batendente\b",
    r"\bfala(r)? com (uma |um |1 |alguma |algum )?(pessoa|humano|gente|alguem|atendente|operador)",
    r"\bhumano\b",
    r"\boperador[a]?\b",
    r"\b(pessoa|alguem|gente) de verdade\b",
    r"\bquero (um|uma|1) pessoa\b",
    r"\b(falar com|quero|chama|chame) (o |a |um |uma |seu |teu )?"
    r"(gerente|supervisor[a]?|responsavel|chefe|coordenador[a]?)",
)
# "Vc é humano?": what the assistant is, asked; never a request for a person (checked before HUMAN).
ARE_YOU_HUMAN = (
    r"\b(vc|voce|tu|ce) (e|eh|ta sendo) (um |uma |1 )?(humano|humana|pessoa|gente|de verdade|real)\b",
    r"(^|[,.?!] ?|\bpera,? |\bmas )(e|eh) (um |uma |1 )?(humano|humana|pessoa de verdade|gente de verdade)\s*\?",
)
BOT = (
    r"\b(e|eh) (um |1 )?robo\b",
    r"\bautomatic[oa]\s*\?",
    r"\b(vc|voce|tu) (e|eh) (um |uma |1 )?(robo|bot|maquina|ia)\b",
    r"\be (um )?(robo|bot)\b",
    r"\b(robo|bot|robozinho|inteligencia artificial)\s*\?",
    r"\bfalando com (um |uma )?(robo|maquina|bot)",
    # Flirting or personal questions to the assistant: it says what it is, and goes back to the topic.
    r"\b(manda|mande|me manda|envia|envie|passa) (1 |uma )?(foto|fotinho) (sua|tua|de (vc|voce|tu))\b",
    r"\b(manda|mande|me manda|envia|envie|passa) (1 |uma )?(selfie|nude)",
    r"\b(vc|voce|tu) (e|eh) (muito )?(gata|gostosa|linda|bonita|casada|solteira|gatinha)",
    r"\b(oi|ola|e ai) (gata|gatinha|linda|gostosa)\b",
    r"\bqual (e )?(o )?(seu|teu) (nome|zap|insta|instagram|numero|whats)\b",
)
IDENTITY = (
    # Who the boleto pays: the company and its CNPJ are the answer (and "never pay another name").
    r"\b(boleto|pix|pagamento|dinheiro)\b.{0,30}\b(nome de quem|em nome de|beneficiari|pra quem|para quem|quem recebe)",
    r"\bgolpe\b",
    r"\bgolpista",
    r"\bquem (e|eh|fala|ta falando|esta falando)\b",
    r"\bque empresa\b",
    r"\bquem (ta|esta|e que ta|que ta) cobrando\b",
    r"\b(vcs|voces|a empresa|alguem) (compraram|comprou) (a|essa|minha) divida\b",
    r"\bcomo (vcs|voces) (tem|conseguiram|pegaram|acharam) (o )?meu (numero|contato|telefone|zap)\b",
    r"\bqual (e a )?empresa\b",
    r"\bquem (e|sao) voce",
    r"\be confiavel\b",
    r"\bcomo (eu )?sei que\b",
    r"\bcnpj\b",
    r"\bfraude\b",
    r"\bverdade isso\b",
)
PAID = (
    r"\bja (paguei|pago|quitei|foi pag[oa]|esta pag[oa]|ta pag[oa]|acertei|resolvi)\b",
    r"\bpaguei (ontem|semana|mes|no dia|dia)\b",
    r"\b(ja )?ta quitad",
    r"\bja foi quitad",
)
PROMISE = (
    r"\bvou pagar\b",
    r"\bprometo (que )?pag",
    r"\bpago (no )?dia \d",
    r"\bassim que (eu )?receber\b",
    r"\bquando (eu )?receber\b",
    r"\bdepois do dia \d",
    r"\bconsigo pagar (so )?(no )?dia \d",
)
# Words that say the person cannot pay, often wrapped in a yes said with irony ("claro, vou pagar com o
# dinheiro que eu não tenho", "com certeza, quando eu ganhar na mega"). With any of them a message is
# never a plain yes, however it starts: the deal waits, and the debtor is heard as in hardship.
CANT_PAY = (
    r"\bnao tenho (como|dinheiro|condic|esse valor|grana|de onde)",
    r"\b(\d{3,}|esse valor|esse dinheiro|isso tudo|tudo isso|essa grana|essa quantia|esse tanto)( todo| toda)?( ai)?"
    r" (eu )?(nao|n) (tenho|tem como)\b",
    r"\b(nao|nem) (consigo|da pra|posso) pagar\b",
    r"\b(dinheiro|grana) que (eu )?(nao|nem) tenho\b",
    r"\bcom (que|qual) (dinheiro|grana)\b",
    r"\b(ganh|acert)[a-z]* na (mega|loteria|sena|quina|lotofacil)",
    r"\bnem (tenho|tem) (1 )?(real|centavo|dinheiro|grana|tostao)",
    r"\bnem que (eu )?(venda|vender|roube|roubar)\b",
    r"\b(vender|vendo) (1 )?rim\b",
)
HARDSHIP = (
    r"\bmandad[oa] embora\b",
    r"\bdemitid[oa]\b",
    r"\bnecessidade\b",
    r"\bta osso\b",
    r"\bpassando fome\b",
    r"\bmorr(er|endo|o) de fome\b",
    r"\bdesempregad",
    r"\bsem (grana|dinheiro|trabalho|emprego|condic|renda)",
    r"\bdificil\b",
    r"\bapertad",
    r"\bnao tenho (como|dinheiro|condic|esse valor|grana)",
    # "4 mil eu não tenho não", "isso tudo eu não tenho": the whole is out of reach, not the deal.
    r"\b(\d{3,}|esse valor|esse dinheiro|isso tudo|tudo isso|essa grana|essa quantia|esse tanto)( todo| toda)?( ai)?"
    r" (eu )?(nao|n) (tenho|tem como)\b",
    r"\bnao tenho (\d{3,}|isso tudo|tudo isso|esse tanto|essa quantia)\b",
    r"\bperdi (o|meu) (emprego|trabalho)",
    r"\bdoen(te|ca)\b",
    r"\bto quebrad",
    r"\bquebrad[oa]\b",
    r"\bnao (consigo|da pra|posso) pagar (tudo|isso|esse|esse valor|a vista)",
    r"\bta pesado\b",
    r"\bcomplicad",
    r"\bmuito caro\b",
    r"\bta caro\b",
    r"\bcaro demais\b",
    r"\bauxilio\b",
    r"\bbolsa familia\b",
    r"\brenda (caiu|diminuiu)\b",
    r"\bsem trabalho\b",
    r"\bbico\b",
    r"\bsalario minimo\b",
    r"\bcrise\b",
    r"\bmal da pra\b",
    r"\bcontas (atrasadas|pra pagar)\b",
    r"\bfilhos?\b.*\b(comer|sustentar)\b",
    r"💸",  # "😢💸": the money is gone
    *CANT_PAY,
)
INSTALL = (
    r"\b\d{1,2}\s*(x|vezes|parcelas?|prestac|boletos|carnes|mensalidades)",
    r"\b([2-9]|\d{2}) ?(vez|ves|veis|vezis|vzs|vz)\b",  # never "uma vez", which is à vista
    r"\bparcel",
    r"\bdividi",
    r"\bem quantas vezes\b",
    r"\bcuotas\b",  # Spanish, from debtors across the border
    r"\bprestac",
    r"\bpor mes\b.*\bvezes\b",
)
CASH = (
    r"\ba vista\b",
    r"\bde (uma|1) vez\b",
    r"\btudo de (uma|1) vez\b",
    r"\bpagamento unico\b",
    r"\bquitar (tudo|hoje|agora)\b",
    r"\b(quanto|qnto|qto|qnt) (fica|sai|da|e) (pra|para) (quitar|liquidar|zerar)\b",
    r"\bpagar tudo\b",
    r"\bnum pagamento so\b",
    r"\bpagar (hoje|hj|agora)\b",
    r"\bavista\b",
)
# An amount offered to settle the whole debt, without saying "à vista": "te dou 300 e a gente esquece
# o resto", "pago 200 pra encerrar", "fecho por 400". Such an amount is a total, never a monthly one.
SETTLE = (
    r"\bquit(a|ar|o|amos|ando|ada|ado)\b",
    r"\besquec[a-z]* (o resto|a divida|o restante|o saldo|isso|o que falta)\b",
    r"\b(encerr|liquid|zer|acab)(ar|a|o|amos|e)( com)? (ess|est|a |o |tudo|de vez|logo)",
    r"\b(pra|para|e) (encerrar|liquidar|zerar|quitar|acabar|resolver|limpar)\b",
    r"\bfech(o|a|amos|ar|emos) (por|em|com|nos|no) (r\$ ?)?\d",
    r"\b(fica|ta|esta|fique|ficamos) (tudo )?(certo|resolvido|quitado|pago|zerado|em paz)\b",
    r"\be (a gente )?(acaba|encerra|resolve|zera)\b",
    r"\be pronto\b",
    r"\b(por|pelo) tudo\b",
)
ACCEPT = (
    r"\bfecha(mos|r|do)?\b",
    r"\baceit(o|ar|amos|ei)\b",
    r"^(sim|sin|s|ss|si|isso|ok|okay|blz|beleza|fechou|fechado|bora|show|claro|pode|perfeito|perfeitamente|"
    r"combinado|certo|top|uhum|aham|deal|yes|pdp|firmeza|fmz)\b",
    r"\bfex(a|ar|o|ou|ado|amos)\b",  # "pode fexar"
    r"\b(pode|puede) (cerrar|cierra)\b|\besta bien\b",  # Portuñol
    r"\bpode (fase|faze|fazer)\b",
    r"\bfechou\b",
    r"\bbora\b",
    r"\bpode (mandar|ser|fechar|gerar|enviar|sim)\b",
    r"\baceito\b",
    r"\bfechado\b",
    r"\bcombinado\b",
    r"\bta (bom|otimo|certo|beleza)\b",
    r"\bmanda (o boleto|ai|o pix)\b",
    r"\bquero sim\b",
    r"\bcom certeza\b",
    r"\bvamos (nessa|fechar|la)\b",
    r"\bdemorou\b",
    r"\bpode crer\b",
    r"\bfaco sim\b",
    r"👍",
    r"\bconfirm[oa]\b",
    r"\bde acordo\b",
    r"\btopo\b",
)
REFUSE = (
    r"^(nao|n|nop|nem|jamais|nunca)\b(?!.{0,60}\b(q|que|qual) divida (e|eh) essa|.{0,60}\bde onde (vem|veio|e)\b)",
    r"\bnao quero\b",
    r"\bnao vou pagar\b",
    r"\bnunca vou pagar\b",
    r"\bnao (da|posso|aceito)\b",
    r"\bagora nao\b",
    r"\bsem interesse\b",
    r"\bnao tenho interesse\b",
    r"\brecuso\b",
    r"\besquece\b",
    r"\bnem pensar\b",
    r"\bnao rola\b",
    r"\bnao concordo\b",
    r"\bnao devo\b",
    r"\b(ja )?(disse|falei) que nao\b",
    r"\bja falei\b",
    r"\bprefiro (resolver|pagar|negociar|ver|tratar) (isso )?"
    r"(direto|na loja|no banco|na agencia|com a loja|com o banco|pessoalmente)",
    r"\bnao quero (negociar|fazer acordo|acordo)\b",
    r"\bdeixa (quieto|pra la)\b",
    r"\bnao (quero|vou) (nao|mesmo)\b",
    # A yes said to mock the offer.
    r"\b(vai|pode ir) sonhando\b",
    r"\bso (pode|podia) ser (piada|brincadeira)\b",
    r"\b(ta|esta|tao|estao|e) (de brincadeira|brincando|de sacanagem|me zoando|zoando)\b",
    r"\bpiada (ne|isso)\b",
)
# Someone who speaks of ending their life. Read on folded text, after `_words_to_numbers` ("uma" is
# "1" by then). Dying of hunger, of laughter or of work is not this: those stay hardship or nothing.
CRISIS = (
    r"\bsuicid",
    # Said of oneself, as an intent: "esses juros vão me matar" is a figure of speech, not this.
    r"\b(vou|vo|quero|queria|penso em|pensando em|pensei em|pensado em|vontade de|tentei|tentar|melhor|eu|decidi)"
    r" me (matar|mato)\b(?! de)",
    r"\b(tirar|tiro|acabar com|terminar com) (a )?(minha )?(propria )?vida\b",
    r"\b(dar|por|botar) (1 )?fim (a|na|em) (minha )?(propria )?vida\b",
    r"\b(quero|queria|vou|penso em|pensando em|pensei em|vontade de|prefiro|preferia|so quero) (me )?morrer\b(?! de)",
    r"\b(sumir|desaparecer) (desse|deste|do) mundo\b",
    r"\b(nao|sem) (vejo |tenho |tem |ha |sinto )?(mais )?(nenhum |nenhuma )?(vontade|motivo|razao|forca|sentido)s? "
    r"(de|pra|para|em) (continuar |seguir )?(viver|vivendo|existir)\b",
    r"\bnao (quero|aguento|suporto|consigo mais) (mais )?(continuar |seguir )?(viver|vivendo|existir)\b",
    r"\b(melhor|queria|quero) (eu )?(estar |tar |ta )?(mort[oa]|nao existir|nunca ter nascido|nao ter nascido)\b",
    r"\b(me enforcar|me jogar (da|de 1|na frente|embaixo)|pular (da|de 1) (ponte|janela|predio|laje|viaduto))",
    r"\bdesistir (da|de) (minha )?vida\b",
    r"\b(vida|viver) (ja )?nao (tem|faz) (mais )?(nenhum )?sentido\b",
    # The ways people say it without saying it.
    r"\b(penso|pensando|pensei|pensado|vontade|medo|capaz|vou|acabo|acabar|quero) (em |de )?(fazer )?(1 )?"
    r"(besteira|bobagem|loucura)( comigo)?\b"
    r"(?! (e |pra |para )?(pagar|quitar|fechar|parcelar)| (no|na|com o|com a) (acordo|pagamento|boleto|divida))",
    r"\bninguem (vai |ia |iria )?(sentir|sente|sentiria) (a )?(minha )?falta\b",
    r"\b(melhor|em paz) sem mim\b",
    r"\bdesistir de (tudo|viver)\b",
    r"\b(me machucar|me cortar|me ferir)\b",
    r"\b(cansad[oa]|cansei) de viver\b",
    r"\bnao quero (mais )?acordar\b",
    r"\b(dormir|descansar) (e nao acordar|pra sempre|para sempre)\b",
    r"\b(tomar|engolir|tomei|engoli) (todos os|todas as|1 monte de|1 caixa de|1 cartela de|os) (meus |minhas )?"
    r"(remedio|comprimido|pilula|calmante)",
)
# Violence at home, often told as the reason the money is gone ("meu marido me bate e pega meu dinheiro").
VIOLENCE = (
    r"\b(me|nos) (bate|batia|agride|agrediu|espanca|espancou|estuprou|violentou)\b",
    r"\b(apanho|apanhei|apanhando)\b",
    r"\b(sofro|sofri|sofrendo) (violencia|agressao|abuso)",
    r"\bviolencia domestica\b",
    r"\bmedida protetiva\b",
    r"\bmaria da penha\b",
    r"\b(me )?ameac(a|ou|ando) (me )?(de morte|matar)",
)
# The same danger told of another person: the reflexive of the third person ("ela fala em se matar").
CRISIS_OF_ANOTHER = (
    r"\bse (matar|mata|matou|suicidar|suicida|suicidou)\b",
    r"\btent(ou|ativa de) (o |um |1 )?suicidio\b",
    r"\b(tirar|tirou|acabar com|tentou tirar) a (propria )?vida (dele|dela)\b",
)
# Despair that is not a wish to die: the person is heard before any number, and may stop or go on.
_VENT_SORRY = r"\b(desculpa|desculpe|perdao) (por )?(desabafar|o desabafo|estar desabafando|chorar)\b"
DISTRESS = (
    r"\bfundo do poco\b",
    r"\bdesesper",
    r"\bdepress",
    r"\b(crise de )?(ansiedade|panico)\b",
    r"\b(to|tou|estou|vivo|fico|fiquei) (so |aqui )?chorando\b",
    r"\bchorando\b",
    # "desculpa desabafar com um robô": heard as the venting it was, never "sou uma assistente" and a pitch.
    _VENT_SORRY,
    # "meu filho tá na UTI desde sábado": a loved one in hospital; no money talk now.
    r"\b(meu|minha) (filh[oa]|mae|pai|marido|esposa|mulher|irma|irmao|neto|neta|avo|vo)\b.{0,30}"
    r"\b(na uti|entubad[oa]|em coma|acidente)",
    r"\bchor(ei|o|ando) (muito|todo dia|toda noite|sem parar)\b",
    r"\bnao aguento mais\b",
    r"\b(queria|quero|vontade de|so queria|so quero) (so )?sumir\b(?! (desse|deste|do) mundo)",
    r"\b(nao vejo|sem) saida\b",
    r"\b(to|tou|estou) (muito |tao )?(mal|destruid[oa]|acabad[oa]|arrasad[oa]|no limite)\b",
    r"\bnao (consigo|durmo|to conseguindo) (mais )?dormir\b",
    r"\b(minha )?cabeca (nao aguenta|ta explodindo|ta a mil)\b",
)
DECEASED = (
    r"\bfalec",
    r"\bmorreu\b",
    r"\bmorreram\b",
    r"\bobito\b",
    r"\bnao esta mais entre nos\b",
    r"\bnao (ta|esta) mais (aqui|com a gente|vivo|viva)\b",
    r"\b(sou|fiquei) viuv[oa]\b",
    r"\bsepultad|\benterr(o|ei|amos|aram)\b",
    r"\bquem (devia|tinha a divida|era o titular) (ja )?(morreu|faleceu)",
    r"\b(ele|ela) (era|e) (o|a) titular\b",
    r"\b(o|a) titular (era|e) (ele|ela)\b",
)
RELATIVE = (
    r"(filh[oa]|espos[oa]|mulher|marido|mae|pai|irma|irmao|sobrinh[oa]|net[oa]|namorad[oa]|cunhad[oa]|"
    r"secretari[oa]|funcionari[oa]|empregad[oa]|cuidador[a]?|contador[a]?|socio|socia|"
    r"vizinh[oa]|amig[oa]|parente|companheir[oa]|genro|nora|tia|tio|prima|primo|sogr[oa]|avo|vo|"
    r"advogad[oa]|procurador[a]?|patr[aã]o|patroa|colega)"
)
# A death the writer tells of someone of their own ("minha mãe morreu semana passada"). Before the CPF
# it is read as the titular's (it is their phone); after it, the debtor is the one writing, so it is
# grief, and the bot says how to tell it if the one who died was the titular after all.
_RELATIVE_DIED = re.compile(
    rf"\b((minha|meu) {RELATIVE} (que )?(ja )?(morreu|faleceu|se foi|partiu|veio a obito)"
    rf"|perdi (a |o )?(minha |meu ){RELATIVE}\b"
    # "o enterro da minha mãe", "o bolo da minha falecida": a loss of the writer's own, not the titular's.
    rf"|(velorio|enterro|funeral|sepultamento|luto|morte|falecimento) (d[oa] |pel[oa] )?(minha |meu ){RELATIVE}\b"
    r"|(minha|meu) (falecid[oa]|finad[oa])\b"
    r"|\b(sou|fiquei|to|estou|ando) viuv[oa]\b)"
)
_OTHER_INTRO_TEXT = (
    rf"\b(aqui (e|eh)|sou|quem (fala|escreve) (e|eh|aqui e))( (a|o) [a-z]+,?)? (a |o )?{RELATIVE} "
    r"(dele|dela|da senhora|do senhor)\b"
)
THIRD_PARTY = (
    # "aqui é a Cida, esposa do Cláudio": a spouse or child of the titular, named.
    r"\b(aqui (e|eh)|sou|quem (fala|escreve) (e|eh))( (a|o) [a-z]+,?)? (a |o )?(esposa|marido|mulher|irma|irmao|filha|"
    r"filho|nora|genro|cunhad[oa]|sobrinh[oa]|neta|neto) d[oa] [a-z]+",
    rf"\bsou (a |o |tipo )?{RELATIVE}\b(?! (solo|solteir[oa]|de \d|de familia|separad[oa]|viuv[oa]|sozinh[oa]))",
    rf"\b(aqui|quem fala) (e|eh) (a |o )?{RELATIVE}\b",
    r"\b(resolver|pagar|negociar|ver|tratar|falar|acertar|quitar)( isso| a divida| essa divida)? "
    r"(por|pra|para|no lugar d)( )?(ele|ela)\b",
    r"\bno (lugar|nome) d(ele|ela)\b",
    r"\b(ele|ela) (nao esta|nao ta|ta|esta|ficou) (aqui|ocupad|viajando|trabalhando|internad|pres[oa]\b|presente|"
    r"doente|sem celular)",
    rf"\b(esse|este|o) (numero|celular|cel|telefone|fone|zap|whats) (e|eh|era) d[oa] (minha |meu )?{RELATIVE}",
    rf"\b(e|eh|sou) (o|a) {RELATIVE} (dela|dele)\b",
    # "Aqui é a Rosilene, esposa dele", "sou a filha dela, a Jaqueline", "quem escreve é a cuidadora da senhora".
    rf"{_OTHER_INTRO_TEXT}",
    # "O cel da minha mãe fica comigo", "se for cobrança dele pode falar comigo que eu resolvo".
    rf"\b(cel|celular|telefone|numero|zap|whats) d[ao] (minha |meu )?{RELATIVE}\b"
    r".{0,25}\b(fica|ta|esta) (comigo|cmg)\b",
    r"\bse for (cobranca|divida|conta|debito|boleto|coisa) (dele|dela)\b",
    r"\b(pode )?(falar|tratar|resolver|ver) (isso )?comigo (que|q) eu (resolvo|pago|passo|aviso|vejo)\b",
    rf"\b(minha|meu) {RELATIVE} (que deve|e quem deve|que tem (essa|a) divida|e (o|a) titular|"
    r"pediu pra eu|mandou eu)\b",
    rf"\bquem deve (e|eh) (a |o )?(minha |meu )?{RELATIVE}\b",
    r"\b(dona|dono) (do|desse|deste) (numero|celular|telefone)\b",
    r"\bposso (resolver|pagar|negociar) (por|pra) (ela|ele)\b",
    rf"\b(pagar|resolver|negociar|quitar) (isso |a divida )?(pra|por|pelo|pela|da|do) (minha |meu )?{RELATIVE}\b",
    r"\b(ele|ela) (me )?pediu pra (eu|mim) (ver|resolver|pagar|falar|negociar|cuidar)",
    r"\b(deixo|deixa|deixar|dou|dar|passo|passar|anoto|anotar|levo|levar) (o |um |esse )?recado\b|\baviso (ele|ela)\b",
    # Someone else's CPF or account typed in: "o cpf do meu marido é 123", "as contas dele sou eu que pago".
    # (Not "a dívida do meu irmão": asked after the CPF, that is a question to decline, not a third party.)
    rf"\b(cpf|documento|rg) (e |eh )?(do|da|de) (meu |minha )?{RELATIVE}\b",
    r"\b(cpf|documento|rg|contas) (dele|dela)\b",
    rf"\b(eu )?(cuido|pago|resolvo|vejo) (das|as|os) (contas|coisas|boletos) "
    rf"(dele|dela|do meu {RELATIVE}|da minha {RELATIVE})",
)
# Who says they are not the debtor (and speaks for them), as against a validated debtor who asks about
# someone else's debt ("e a dívida da minha mãe?"): the first ends the conversation, the second is a
# question declined while their own negotiation goes on.
SPEAKS_FOR = (
    rf"\bsou (a |o |tipo )?{RELATIVE}\b(?! (solo|solteir[oa]|de \d|de familia|separad[oa]|viuv[oa]|sozinh[oa]))",
    rf"\b(aqui|quem fala) (e|eh) (a |o )?{RELATIVE}\b",
    r"\b(no lugar|em nome) d(ele|ela)\b",
    r"\b(resolver|pagar|negociar|ver|tratar|falar|acertar|quitar)( isso| a divida| essa divida)? "
    r"(por|pra|para|no lugar d)( )?(ele|ela)\b",
    rf"\b(esse|este|o) (numero|celular|cel|telefone|fone|zap|whats) (e|eh|era) d[oa] (minha |meu )?{RELATIVE}",
    rf"\b(e|eh|sou) (o|a) {RELATIVE} (dela|dele)\b",
    r"\b(ele|ela) (me )?pediu pra (eu|mim)",
    r"\b(dona|dono) (do|desse|deste) (numero|celular|telefone)\b",
    r"\b(ele|ela) (nao esta|nao ta|ta|esta|ficou) (aqui|ocupad|viajando|trabalhando|internad|pres[oa]\b|presente|"
    r"doente|sem celular)",
)
ANOTHERS_DEBT = (
    rf"\b(divida|debito|cpf)s? (d[oa] (minha |meu )?{RELATIVE}|dele|dela)\b",
    rf"\bquanto (ela|ele|a minha {RELATIVE}|o meu {RELATIVE}|minha {RELATIVE}|meu {RELATIVE}) (deve|ta devendo)",
    r"\b(ela|ele) (tb|tambem) (deve|tem divida)",
    rf"\b(minha|meu) {RELATIVE} (tb |tambem )?(ta|esta|tambem ta) devendo",
    r"\b(quanto|qnto|qto) (ta|e|fica|deve) (a|o) (dela|dele)\b",
)
# A lawyer or an attorney for the debtor: a person of the team checks the power of attorney.
REPRESENTATIVE = (r"\b(represento|procuracao|sou (o |a )?advogad|advogad[oa] (d[oa]|que representa))",)
DISPUTE = (
    # "O seguro prestamista quitou o saldo": paid by the insurer, so the debt is contested, never offered.
    r"\b(seguro|seguradora)( prestamista)?\b.{0,80}\b(quitou|pagou|cobriu|quitad[oa]|assumiu)",
    r"\b(quitad[oa]|pag[oa]|cobert[oa]) (pelo|pela) (seguro|seguradora)",
    # "Cancelei a matrícula em fevereiro, tenho protocolo": billed for what was cancelled.
    r"\b(eu )?(ja )?cancelei (a |o |meu |minha )?(matricula|servico|contrato|plano|assinatura|curso|linha)\b",
    # "1870??? nunca passou de 150", "esse valor tá errado": the amount itself contested.
    # ("isso tá errado" alone is a complaint, about a notice or a call, not the debt contested.)
    r"\b(valor|conta|cobranca|esse numero|fatura|boleto)\b.{0,15}\b(ta|esta|tá|e|eh|veio) (tudo )?errad[oa]",
    # "a compra de 389,90 veio DUAS vezes": billed twice for one purchase.
    r"\b(veio|vieram|cobrad[oa]s?|cobraram|lancad[oa]|lancaram|apareceu|aparece)\b.{0,15}"
    r"\b(duas vezes|2 vezes|em dobro|duplicad[oa]|repetid[oa])",
    r"\b(compra|cobranca|lancamento|parcela) duplicad[oa]\b|\bduplicad[oa]\b.{0,20}\b(compra|cobranca|fatura)",
    r"\btirarem a duplicad",
    # "a loja NUNCA entregou": paying for what never came.
    r"\b(nunca|nao) (me )?(entregou|entregaram|foi entregue|entregue)\b",
    r"\b(produto|movel|aparelho|guarda.roupa|geladeira|tv|televisao|sofa|celular|mercadoria)\b.{0,25}\b(nunca|nao) "
    r"(chegou|veio|foi entregue)",
    r"\bnunca (passou|deu|chegou|veio) (de|a|mais de) (r\$ ?)?\d+",
    r"\b(essa|esta|a|tal) (divida|conta|cobranca|fatura) nao (e|eh) (minha|meu)\b",
    r"\bnao (e|eh) (minha|meu) (essa |esta |a )?(divida|conta|cobranca|fatura|cartao|emprestimo)",
    r"\bnao reconhe[cç]",
    r"\bdesconhe[cç]",
    r"\bnao fui eu (que|quem) (fiz|fez|comprei|contratei|pedi)",
    r"\b(alguem|usaram|usou|pegaram|fizeram) .{0,20}\b(meu nome|meu cpf|meus dados|no meu nome)",
    r"\bnunca (fiz|contratei|tive|comprei|usei|pedi|assinei|abri)\b",
    r"\bnao (fiz|contratei|comprei|assinei|pedi|abri|usei) "
    r"(isso|essa|esse|nada|nenhum|nenhuma|compra|emprestimo|cartao|conta)",
    r"\bcontest",
    r"\bclonad[oa]\b",
    r"\b(divida|cobranca|conta) (indevida|errada|falsa)\b",
    r"\bnao devo (nada|isso|essa|esse|nenhum|pra ningu)",
    r"\busaram (o )?meu (nome|cpf|documento)",
    r"\bnao conhe[cç]o (essa|esta|esse|a|o) (divida|conta|cobranca|empresa|banco|loja)",
    r"\bnao tenho (divida|conta|cartao|nada) (com|na|no)\b",
    # The contract or proof asked for before paying: the debtor's right; collection waits for it.
    r"\b(quero|queria|preciso|exijo|manda|mandem|vcs mandam|me mostra|mostrem)\b.{0,40}\b(contrato|prova|assinatura)\b",
    r"\bso pago com (o )?(papel|contrato|documento|prova)",
    r"\b(memoria de calculo|demonstrativo (do|de) calculo|calculo (detalhado|discriminado)|item por item"
    r"|tudo (q|que) foi somado|discriminando)\b",
    r"\b(pegou|pegaram|usou|usaram) (os |a |o )?(meus|meu|minha) (documento|documentos|dados|cpf|nome|cartao|senha|rg)",
    r"\bnunca (peguei|fiz|tirei) (emprestimo|cartao|financiamento|credito)",
    r"\bquem (fez|pegou|tirou) (isso |esse emprestimo |o emprestimo |a divida )?foi (o |a )?(meu|minha)",
    # Charged twice: the same debt already agreed with someone else is a dispute, never a better offer.
    r"\bcobr(anca|ando|am|ar|aram)[a-z]* (em dobro|de novo|duas vezes|2 vezes|outra vez)",
    r"\bpagar (duas|2) vez",
    # Goods never delivered (a shop that closed first): the debt itself is in question.
    r"\b(nunca|nao) (me )?(entregaram|entregou|chegou|recebi|veio|foi entregue)\b.{0,30}\b(tv|televis|produto"
    r"|mercadoria|geladeira|movel|moveis|sofa|celular|compra|pedido|fogao|maquina|cama|guarda roupa)",
    r"\b(tv|televis|produto|mercadoria|geladeira|movel|moveis|sofa|celular|compra|pedido|fogao|maquina|cama)\b"
    r".{0,50}\b(nunca|nao) (chegou|foi entregue|entregaram|veio|recebi)\b",
    r"\b(fechou|encerrou|faliu) (antes de|sem) (me )?entregar\b",
    r"\bja (negociei|fiz (1 )?acordo|to pagando|estou pagando|parcelei)\b.{0,40}\b(outr[oa]|com a|com o|na|no)\b.{0,20}"
    r"\b(empresa|assessoria|agencia|escritorio|banco|loja|cobranca|recuperadora)",
)
PRESCRIPTION = (
    r"\bprescr",
    r"\bcaduc",
    r"\b(mais de )?(5|cinco) anos\b",
    r"\bnao pode (mais )?(ser )?cobrad",
    r"\bdivida (velha|antiga)\b",
    r"(?<!proposta )(?<!oferta )(?<!condicao )(?<!desconto )\bainda vale\b(?! (a|o|aquel|essa|esse|a proposta))",
    r"\bdivida de (19|20)\d\d\b",
    r"\bprazo (de cobranca|pra cobrar|legal)\b",
    r"\bja venceu o prazo\b",
)
BREAKDOWN = (
    # Not "juro" alone: "mais que isso não dá, juro" is "I swear".
    r"(?<!sem )\bjuros\b|\bjuro (de|do|da|alto|abusivo|composto|sobre|em cima)\b",
    r"\bencargo",
    r"\bmulta\b",
    r"\bcorrecao\b",
    r"\bde onde (vem|veio|saiu) (esse|essa|o|a) (valor|conta|total)",
    r"\b(pq|por ?que|porque) (ta|esta|e|eh|ficou|subiu) (tao |muito )?(alto|caro|esse valor|isso tudo|desse tamanho)",
    r"\bcomo (chegou|chegaram|chegaram) (nesse|a esse|neste|nisso|nesse) (valor|total)",
    r"\b(detalh|discrimin|demonstrativo|extrato|planilha)",
    r"\bvalor original\b",
    r"\b(era|devia) (so )?(uns )?(r\$ ?)?\d+.*\b(agora|virou|ta)\b",
    r"\bcomposicao\b",
    r"\bcontrato\b",
    r"\b(venceu|vence) quando\b",
    r"\bquando (venceu|foi)\b",
)
LEGAL = (
    r"\bprocon\b",
    r"\badvogad",
    r"\bprocess(ar|o|ando|ei|ou|a voces|a vcs)\b",
    r"\bjusti[cç]a\b",
    r"\bjuiz\b",
    r"\breclame ?aqui\b",
    r"\bdefensoria\b",
    r"\bbanco central\b",
    r"\bbacen\b",
    r"(?<!nao quero )(?<!nao vou )(?<!sem )\bdenunci",
    r"\b(vou|vo|chamo|chamar|ir|dar queixa|fazer queixa|registrar|dar parte)( na| a| pra)? policia\b",
    r"\bpequenas causas\b",
    r"\bjuizado\b",
    r"\bconsumidor\.gov",
    r"\bindeniza",
    r"\bdanos? mora",
    r"\bmeus direitos\b",
    r"\bcodigo de defesa\b",
    r"\bboletim de ocorrencia\b",
)
ANGER = (
    r"\b(extorsao|extorquir|extorquindo|agiota\w*|roubo|roubando|estelionat\w*)\b",
    r"\b(vai|va) (se|te|tomar|pro|pra|a) ?(fuder|foder|ferrar|catar|lascar|merda|inferno|puta|cu)\b",
    r"\b(vai|va) tomar no\b",
    r"\b(vsf|vtnc|tnc|fdp|pqp|krl|crl|porra|caralho|merda|idiota|imbecil|otari[oa]s?|babaca|ladr(ao|oes|ona)|safad[oa]s?|"
    r"vagabund[oa]s?|palhacada|lixo|desgraca(do|da|dos)?|cacete|puta|corno|bando de|sanguessuga|urubu|abutre|"
    r"pilantra|canalha|nojent[oa]|ridicul[oa]|incompetente|inferno|saco cheio|que saco|cansad[oa] de voces)\b",
    r"\b(to|tou|estou|fiquei) (puto|puta|irritad|nervos|revoltad|furios|indignad|de saco cheio)",
    r"\bvoces sao (uns |umas )?(ladr|safad|pilant|lixo|golpist|bandid)",
    r"\bme (deixa|deixem) em paz\b",
    r"(?<!tenho )(?<!sinto )(?<!com )(?<!de )(?<!muita )\bvergonha\b",
    r"\b(absurdo|revoltante|palhac[oa]s?|humilhante|desrespeito)\b",
    r"[🤬😡😤🖕]",
    r"\bchega de\b",
)
LATER = (
    r"\b(eu )?vejo (isso |essa conta |a conta |com calma |o resto )?"
    r"(semana|mes|amanha|segunda|terca|quarta|quinta|sexta|depois|mais tarde|outro dia)",
    r"^(ok,? |ta,? |entao,? |blz,? )?(tchau|xau|flw|falou entao|ate mais|ate logo|fui)\W*$",
    r"\b(te|lhe) (falo|aviso|respondo|digo|retorno|dou retorno)\b.{0,20}\b(semana|amanha|depois|mes|segunda|terca|"
    r"quarta|quinta|sexta|sabado|\d{1,2}/)",
    r"\b(ai |entao |depois )?(te|lhe) (chamo|procuro|falo|aviso|escrevo|retorno) de novo\b",
    r"\bvou (passar|ir) (na|no|ate a|ate o) [a-z]+( [a-z]+)? "
    r"(amanha|depois|semana|segunda|e (pergunt|ver|falar|confirm))",
    rf"\bso se (o |a )?(meu |minha )?{RELATIVE} (concordar|deixar|aceitar|aprovar|topar|autorizar)",
    r"\bvou (falar|conversar|ver|confirmar) (c|com) (ele|ela|eles)\b",
    r"^(nao,? )?(agora|hoje|agr) (nao|n)(,? (obrigad[oa]|obg|valeu|vlw|posso|moca|viu))?\W*$",
    r"\bagora nao (da|posso|consigo|rola|vai dar)\b.*\b(depois|mais tarde|outra hora|amanha|semana|mes)",
    r"\bagora nao (tenho tempo|e uma boa|e um bom momento)",
    r"\bdepois (eu )?(vejo|falo|respondo|resolvo|te chamo|te respondo|converso|penso)",
    r"\bdepois a gente (ve|fala|conversa|resolve)",
    r"\bmais tarde\b",
    r"\boutra hora\b",
    r"\boutro dia\b",
    r"\b(to|tou|estou) (no trabalho|no servico|trabalhando|ocupad|dirigindo|no onibus|na rua|sem tempo|corrid)",
    r"\bnao (posso|consigo|da pra) (falar|ver|responder|conversar) agora",
    r"\bme (chama|chame|procura|liga) (depois|amanha|semana|mais tarde|outro dia|outra hora|no fim|mes (que|q) vem"
    r"|no (outro|proximo) mes|(na |no |nessa |na proxima |no proximo )?(segunda|terca|quarta|quinta|sexta|sabado)"
    r"|dia \d)",
    r"\bagora nao (da|dá) pra (ver|falar|olhar|conversar|resolver|mexer)",
    # "Dia 5 eu volto aqui e resolvo": a day they will come back, not a no.
    r"\b(eu )?volto (aqui |a falar |a te chamar |a chamar |com voces |com vcs )?.{0,25}"
    r"\b(e (resolvo|pago|fecho|acerto|vejo)|pra (resolver|pagar|fechar|acertar)|quando (receber|cair|sair))",
    r"\bdia \d{1,2} (eu )?(volto|te chamo|te procuro|falo com (voce|vc|voces|vcs))\b",
    r"\bvolto a (falar|conversar) com (voces|vcs|voce|vc)\b",
    # "Será que a gente pode conversar no mês que vem?", "pode me procurar no comecinho do mês que vem?"
    r"\b(conversar|falar|ver isso|resolver isso|tratar disso) (no |na )?(mes que vem|proximo mes|semana que vem|"
    r"proxima semana|mais pra frente|outro dia|outro mes)",
    r"\bme (procurar|chamar|ligar|procura|chama|liga) (no |na |em |la pro |pro )?(comecinho|comeco|inicio|fim|final|"
    r"meio) d[oa] (mes|semana|ano)",
    r"\bvou juntar (o |um )?(dinheiro|grana|valor)\b",
    r"\b(pode )?me (chama|chamar|chame|procura|procurar|liga|ligar) (daqui|em|dentro de|depois de) (uns |umas |a |de )?"
    r"\d+ (dias|semanas|semana|mes|meses)",
    r"\b(so )?nao (da|posso|consigo) (agora|nesse momento|no momento|por enquanto)\b",
    r"\b(prefiro|melhor|vou) nao (fechar|assumir|fazer) (nada |o acordo |acordo )?(agora|hoje|por enquanto|ainda)",
    r"\bvejo (isso |com calma )?depois\b",
    r"\bdeixa pra (depois|outro dia|amanha|semana)",
    r"\bvou pensar\b",
    r"(?<!o )(?<!a )\bmais pra frente\b",
    r"\b(dps|depois) (eu )?(falo|vejo|respondo|te chamo|resolvo)",
    r"\bno trampo\b",
    r"\beu vejo isso\b",
    r"\bpreciso pensar\b",
    r"\b(eu )?te (chamo|procuro|aviso|mando mensagem|escrevo) (pra fechar|quando|assim que|depois|semana|mes)",
    r"\bvou esperar (sair|cair|receber|entrar|o pagamento|o salario|a rescisao|o 13)",
    rf"\b(vou|deixa eu) (pedir pr[oa]|ver com|falar com|conversar com|perguntar pr[oa]|consultar) "
    rf"(o |a |meu |minha |o meu |a minha )?({RELATIVE}|patroa|familia|esposa)",
    r"\bte (dou|do|trago|passo) (1 |o )?(retorno|resposta)",
    r"\bposso (falar|chamar|voltar|procurar)( com)?( vcs| voces| vc| voce)?( de novo| depois)? quando\b",
    r"\b(to|tou|estou|fico) esperando (sair|cair|receber|entrar|o pagamento|a pensao|o salario|o beneficio)",
    r"\bquando (eu )?(arrumar|conseguir|tiver) (1 )?(servico|emprego|trabalho)",
    r"\beu (te |lhes )?(procuro|chamo) (vcs|voces|vc|voce)?\b",
    # "Vou ver com calma e te falo", "deixa eu pensar direitinho", "vou analisar": a decision put off, not a
    # request for a person (the classifier read "te falo" as one).
    r"\b(vou|deixa eu|preciso|quero) (ver|olhar|pensar|analisar|estudar|avaliar)( isso| essa proposta| tudo)?"
    r" (com calma|direitinho|direito|melhor|com cuidado|aqui)\b",
    r"\bvou (analisar|estudar|avaliar)\b",
    r"\b(e|ai|depois|ja|logo|daqui a pouco|mais tarde) (eu )?(te|lhe) (falo|aviso|respondo|digo|retorno)\W*$",
)
CPF_WHY = (
    r"\bpra que (vc |voce |vcs |voces )?(quer|precisa|pede|pedem|querem)",
    r"\bpor ?que (vc |voce |vcs |voces )?(quer|precisa|pede|pediu|pedem|querem|preciso)",
    r"\bpra que (o |meu |os )?(cpf|digitos|numeros)",
    r"\bpor ?que (o |meu |os )?(cpf|digitos|numeros)",
    r"\bnao (vou|quero) (te )?(passar|dar|mandar|informar|falar) (meu |o |os |nenhum )?"
    r"(cpf|dado|documento|numer|digito)",
    r"\bnao passo (meu |o )?(cpf|dado|documento)",
    r"\b(pq|pra q|pra que|por que|porque)\b.*\b(cpf|digitos|meus numeros|meus dados)\b",
    r"\blgpd\b",
    r"\bdados pessoais\b",
    r"\bvazar (meu|os) dados\b",
)
# The debtor's own data asked for in full ("me passa meu CPF completo", "qual meu endereço aí?"): never
# given by chat, whoever holds the phone.
MY_DATA = (
    r"\b(qual|fala|diz|passa|me fala|me diz|me passa)\b.{0,30}\b(numero|numeros|digitos|cpf) "
    r"(certo|corretos?|que ta ai|q ta ai|do sistema|cadastrad)",
    r"^(e )?(o |meu )?(endereco|cep|rg|e-?mail)\b,? (qual|qual e|qual eh|como ta|ta certo)\b",
    r"\bqual (e |eh )?(o |meu )?(endereco|cep|rg|e-?mail)\b.{0,20}(\?|ai|cadastrad|de voces|que voces tem)",
    r"\b(passa|passar|manda|mandar|fala|falar|diz|dizer|informa|informar|confirma|qual (e|eh)?|ve)\b.{0,25}"
    r"\b(meu|o meu|minha|a minha) (cpf( completo| inteiro)?|endereco|rg|data de nascimento|dados|cadastro|email)\b",
    r"\b(meu|minha) (cpf|endereco|rg|dados)\b.{0,20}\b(completo|inteiro|cadastrad[oa]|(q|que) (ta|esta|tem) ai)",
)
CANCEL = (
    r"\bcancel\w* (o |esse |este |meu |a |essa )?(acordo|boleto|parcelamento|negociacao|isso|tudo|pagamento)",
    r"\bdesist",
    r"\bdesfaz",
    r"\bpensando bem\b.*\bnao\b",
    r"\bnao quero mais (o acordo|esse acordo|fazer|pagar|o boleto)",
    r"\bvolta atras\b",
    r"\bme arrependi\b",
    r"^cancela(r)?\W*$",
)
SECOND_COPY = (
    r"\bsegunda via\b",
    r"\breenvi",
    r"\b2 ?a via\b",
    r"\b(manda|envia|reenvia|mandar|enviar|reenviar|mande|envie|passa)( de novo| novamente| outra vez)? "
    r"(o |a |meu |o meu )?(boleto|pix|codigo|linha digitavel|copia e cola)( de novo| novamente| outra vez)",
    r"\bnao (recebi|chegou|veio) (o |a |nenhum |nada)?(boleto|pix|codigo)?",
    r"\bperdi (o|a) (boleto|pix|codigo)",
    r"\bcade (o|a|meu) (boleto|pix|codigo)",
    r"\b(boleto|pix|codigo) de novo\b",
    r"\bproxim[oa] (boleto|parcela)",
    r"\bboleto da (\d+|segunda|terceira|proxima) parcela",
)
RECALL = (
    r"\bonde (a gente |nos |eu )?(paramos|parou|parei|tava|estava)\b",
    r"\b(proposta|oferta|condicao|desconto|aquilo|aquele valor)\b.{0,15}\b(ainda|continua|segue|ta|esta) "
    r"(vale|valendo|de pe|em pe)\b",
    r"\bo que (eu )?(combinei|acertei|fechei|ficou combinado|ficou acertado|a gente combinou)",
    r"\bcomo (ficou|ficaram) (o |meu |nosso )?(acordo|as parcelas|combinado|pagamento)",
    r"\bqual (e |foi )?(o )?(meu |nosso )?acordo",
    r"\bquanto (ficou|ficaram|e a parcela|sao as parcelas)\b",
    r"\bquando vence\b",
    r"\bvence (qnd|quando|qdo)\b|\bfica (qnt|qto|quanto)( certinho)?\b",  # "fica qnt certinho e vence qnd?"
    r"\bqual (e )?(o )?vencimento",
    r"\bme (lembra|fala|diz|lembre) (de novo )?(o acordo|do acordo|como ficou|quanto ficou|o combinado)",
    r"\bquanto (eu )?(tenho que|vou) pagar\b",
)
CHANGE = (
    r"\b(mudar|trocar|alterar|remarcar|adiar|mudo|troco|altero|muda|troca|altera)\b",
    r"\bda pra (mudar|trocar|passar|adiar)",
)
CONDITIONAL = (r"\b(mas|so que|porem|desde que|contanto que|so se|se for|se der|se puder|entretanto|contudo)\b",)
GREETING = (
    r"^(oi+|ola|opa|e ai|eai|bom dia|boa tarde|boa noite|salve|oie|alo|hello|hi)\b",
    r"^(fala|fala ai|pode falar|diga|diz|pois nao)\W*$",  # "go ahead": never a request for a person
)
DEBT_Q = (
    r"\bquanto (que )?(e|eh|fica|ta|da) (mesmo )?(a conta|a divida|o total|o valor|isso|tudo)?\W*$",
    r"^(e )?(quato|quantu|qnto|qto|quanto) (que )?(e|eh|fica|ta)\b",
    r"\b(q|que|qual) divida (e|eh|seria) essa\b",
    r"\bde onde (vem|veio|e|eh|surgiu) (essa|isso|a divida|essa divida|esse valor)?",
    r"\bcobranca\b.*\?",
    r"\btotal da divida\b",
    r"\bde que (e|eh)\b",
    r"\bquanto (eu )?(devo|to devendo|estou devendo|e a divida|fica)\b",
    r"\b(qnt|qto|quanto) fica\b",
    r"^(qnt|qto|quanto)\b",
    r"\bqual (e )?(o )?valor\b",
    r"\bque divida\b",
    r"\bdivida de que\b",
    r"\bde onde (e|vem) (essa|isso)\b",
    r"\bque conta\b",
    r"\bdo que se trata\b",
    r"\bque historia\b",
    r"\bqual divida\b",
    # What can be done: the debt and the offers are the answer, never one offer to confirm.
    r"\b(quais|qual|que) (sao |seriam |e |seria )?(as |os |a |o )?"
    r"(opc|condic|proposta|alternativa|possibilidade|oferta)",
    r"\b(o que|oq|oque) (vc|voce|vcs|voces|a empresa)( me)? (tem|tens|oferece|oferecem|propoe|propoem|consegue|"
    r"conseguem|pode|podem)\b",
    r"\btem (alguma |algum |1 )?(proposta|oferta|opcao|condicao|acordo)\b",
    r"\bme (mostra|manda|passa|fala|diz|explica) (as |os |a |o )?(opc|condic|proposta|valores|oferta)",
    r"\bcomo (eu )?(posso|faco|consigo|da pra|faz pra|faco pra) (pagar|negociar|quitar|resolver)",
    # Wanting to negotiate, said plainly: the debt and the ways to pay ("negociar" is what the bot tells
    # a person who stopped the messages to write when they want to come back).
    r"^(quero |queria |vamos |bora |gostaria de |posso )?(negociar|fazer (1 )?acordo)\b",
    r"\bnao (entendo|entendi|sei) (nada )?(dessas coisas|dessa coisa|disso|dessa divida|de onde)",
    r"\bsera q(ue)? (foi|e|era) (aquel|ess|o |a |daqu)",
    r"\bnao (me )?lembro (dessa|desta|disso|de ter|de dever|dessa conta|de nada)",
    r"(?<!nao )\b(quero|queria|gostaria de|vamos|bora|preciso) (negociar|fazer (1 )?acordo|limpar (o |meu )?nome)\b",
)
METHOD_PIX = (r"\bpix\b",)
METHOD_BOLETO = (r"\bboleto\b",)
# "Quantos por cento dá?": asked of the offer on the table. Answered with the figure, and never a yes
# ("isso dá quantos por cento?" starts like one).
PERCENT_Q = (
    r"\b(quantos|qnts|qntos|qtos|quanto|qnto|qto|qual|que) (e |eh |da |fica |seria |sao )?(o |a )?"
    r"(por ?(cento|100)|porcento|porcentagem|percentual|%)",  # "cento" is 100 by then
    r"\b(desconto|abatimento) (e |eh |da |fica )?de (quanto|qnto|qto|quantos)\b",
    r"\b(da|fica|e) (quanto|qnto|qto|quantos) (de |por ?100 de )?desconto\b",
    r"\b(quanto|qnto|qto) (e |eh |da |fica )?(o |de )desconto\b",
    # "Tem algum desconto pra pagar à vista? 🙏": whether there is one, answered with the figure or a plain no.
    r"\btem (algum |nenhum |um |um pouco de )?(desconto|abatimento)\b[^.!]{0,35}\?",
    r"\b(rola|tem como|consegue|da pra dar) (algum |um )?(desconto|abatimento)\b",
)
# The negativação, asked about: what paying does to the debtor's name. Hardship words may come with it
# ("preciso limpar o nome pra financiar uma moto"), but the question is what they need answered.
BUREAU_Q = (
    r"\b(nome|cpf)\b.{0,30}\b(sai|saira|sair|limpa|limpo|tira|tirado|baixa|volta|fica limpo)\b.{0,20}"
    r"\b(serasa|spc|scpc|boa vista|negativ|restric)",
    r"\b(sai|saio|saira|sair|tira|tirar|limpa|limpar|baixa)\b.{0,25}\b(do|da|no|na|dos) (serasa|spc|scpc|boa vista)",
    r"\b(limp|tir)[a-z]* (o |meu )?nome\b.{0,40}(\?|quando|quanto tempo|demora|prazo|se eu pagar)",
    r"\b(serasa|spc|negativ)[a-z]*\b.{0,40}(\?|quando|quanto tempo|demora|prazo)",
    # "em quanto tempo a restrição é baixada nos órgãos de proteção ao crédito?"
    r"\b(restricao|negativacao|apontamento)\b.{0,40}\b(baixad|retirad|removid|tirad|limp)",
    r"\borgaos de protecao ao credito\b",
    # "Meu nome vai continuar sujo?", "fico com o nome sujo até quando?"
    r"\bnome\b.{0,25}\b(sujo|negativad|limpo|restrit)\b.{0,30}(\?|ate quando|quanto tempo|quando)",
)
# What the words mean: "o que é à vista?" is a question about the word, answered in plain language.
MEANING_Q = (
    # "pera, à vista é tipo tudo de uma vez msm né?"
    r"\ba vista (e|eh|seria|quer dizer) (tipo |tipo assim |entao )?(tudo |pagar tudo |o valor todo )?"
    r"(de (uma|1) vez|numa vez|junto)",
    r"\b(oq|o que|oque|que) (e|eh|significa|quer dizer|seria) (esse |essa |o |a )?"
    r"(a vista|avista|parcelad|parcelamento|entrada|boleto|pix|copia e cola|linha digitavel|desconto)",
    r"\bnao (entendo|sei o que (e|significa)) (essas? )?(palavras?|palavra de banco|a vista|parcelad)",
)
# Several debts, asked which comes first: honest advice (essentials first), never a push for this one.
PRIORITY_Q = (
    r"\bqual (eu )?(pago|devo pagar|pagar|pagaria|quito) primeiro",
    r"\b(o que|oq|qual) (eu )?(pago|pagar) primeiro",
    r"\bpor onde (eu )?(comeco|começo|comecar)",
)
# "Minha esposa não sabe disso, vocês não vão ligar pra ela?": discretion asked for.
DISCRETION_Q = (
    r"\b(minha esposa|meu marido|minha mulher|minha familia|minha mae|meu pai|meus filhos|ninguem)\b.{0,30}"
    r"\b(nao sabe|nao pode saber|nao sabem|saber disso|fica sabendo|descobrir)",
    r"\b(vao|vai|vcs vao|voces vao) (ligar|mandar mensagem|falar|contar) (pra|para|com) "
    r"(ela|ele|minha|meu|alguem|a minha|o meu|minha familia)",
)
# The smallest installment asked for: the plan with the most installments the policy allows.
SMALLEST_Q = (
    r"\b(qual|quanto) (e |fica |seria |da )?(a |o )?(menor|minima|minimo) (parcela|prestacao|valor|por mes|mensal)",
    r"\b(o |a )?menor (parcela|prestacao|valor|por mes)( possivel| que da| q da)?\b",
    r"\bqual (fica )?(o |a )?menor por mes\b",
    r"\b(o )?(maximo|max|mais) (de )?(vezes|parcelas|meses)( possivel| que da| q da| que der| q der)?\b",
    r"\b(a|o|essa|esse|aquela|aquele|quero a|quero o)\b.{0,12}\b(mais barat[oa]|mais baix[oa]|menor|mais leve)"
    r" (por mes|no mes|mensal|de parcela|parcela|pra pagar por mes)\b",
    r"\b(parcela|prestacao) (mais barata|mais baixa|menor|mais leve)\b",
)
# The best the creditor allows, asked straight: answered with it, never with a menu or "não entendi".
BEST_Q = (
    # "Esse desconto é o máximo mesmo ou dá pra melhorar um pouquinho?"
    r"\b(e|eh) o maximo (mesmo|que (voce|vc|voces|vcs) (consegue|da|podem|pode))\b",
    r"\b(da|dá) pra melhorar\b",
    r"\bmelhora (um pouco|um pouquinho|mais|isso ai|esse desconto)\b",
    r"\b(maior|maximo|max|todo o|mais) (de )?(desconto|abatimento)\b",
    r"\b(desconto|abatimento) (maximo|total|maior)\b",
    r"\blimite (real|de verdade|maximo|do desconto|de desconto|do credor|de voces|de vcs)\b",
    r"\b(qual|quanto|me (fala|diz|da|passa)) (e |eh |seria |fica )?(o |a )?(seu |sua |vosso )?(melhor|ultima|ultimo"
    r"|menor) (proposta|oferta|preco|valor total|condicao|desconto)\b",
    r"\bmenor (preco|valor|total) (que|q) (voces?|vcs?|o credor|a empresa|o banco)? ?(aceita|aceitam|consegue|conseguem"
    r"|pode|podem|faz|fazem|fecha|fecham)\b",
    r"\b(o minimo|o menos) (que|q) (voces?|vcs?|o credor|a empresa|o banco)? ?(aceita|aceitam)\b",
    r"\b(vai|pode|desce|baixa|chega) ate quanto\b",
    r"\bate quanto (vc|voce|vcs|da|pode|consegue|desce|baixa)\b",
)
# "O sistema autorizou", "o gerente falou que era 100": an authorization the bot has no record of.
CLAIMED_AUTH = (
    r"\b(sistema|gerente|atendente|supervisor|banco|credor|outra atendente|outro atendente|voces|vcs|a empresa)"
    r" (ja )?(me )?(autorizou|autorizaram|aprovou|aprovaram|liberou|liberaram|prometeu|prometeram|garantiu)\b",
)

# Paying anywhere but the agreement's own boleto and PIX ("a chave do atendente", "sua chave", a link,
# a code someone sent): a firm no, and how to tell the real one.
PAY_ELSEWHERE = (
    r"\b(chave|pix|conta|deposito)\b.{0,25}"
    r"\b(do atendente|da atendente|sua|tua|pessoal|de vc|de voce|do funcionario)\b",
    r"\b(me passa|passa|manda|qual) (a |sua |tua )?chave( pix)?\b",
    r"\b(esse|este) (link|codigo|pix|boleto) (e|eh|ta|esta) (valido|certo|verdadeiro|oficial|de vcs|de voces)",
    r"\bhttps?://",
    r"\b(o|esse|este|pelo|no|do|nesse|um) link\b",
    r"000201\S*br\.gov\.bcb\.pix",  # a PIX code pasted in: whose it is, is the question
)
# Someone else paying the debtor's boleto ("minha esposa pode pagar pelo app dela?"): yes, anyone can.
OTHER_PAYER = (
    rf"\b(ela|ele|minha {RELATIVE}|meu {RELATIVE}|outra pessoa|alguem|minha esposa|meu marido) (pode|consegue|podia) "
    r"(pagar|fazer o pix|pagar o boleto)",
    r"\b(pagar|pago) (pelo|no|com o) (app|aplicativo|banco|cartao|conta) (dela|dele|da minha|do meu)",
)
# Afraid of what the debt can do ("vou ser preso?", "dá problema com meu documento de refúgio?"): the truth
# calms it: no prison for a debt like this, nothing with documents, visas or work; the name may be negativado.
FEAR_Q = (
    r"\b(medo|miedo|preocupad[oa]|receio)\b.{0,80}\b(problema|pres[oa]|cadeia|documento|visto|refugio|policia|"
    r"processad|deportad|trabalho)",
    r"\b(vou|posso|vai|puedo) (ser |ir |ficar )?(pres[oa]|pra cadeia|detid[oa]|deportad[oa])\b",
    r"\b(puede|pode|vai|isso) (dar|da) problema (com|no|na|pra) (meu |minha |mi )?"
    r"(documento|visto|refugio|cpf|trabalho|rg)",
)
# In hospital, after surgery, under treatment: a person cared for first, no number that turn.
ILLNESS = (
    # Said of oneself: a relative in hospital with money tight ("minha mãe tá internada e tá difícil")
    # stays hardship, and "tô doente, não consigo trabalhar" is hardship too.
    r"\b(to|tou|estou|fiquei|eu|ando|fui) (\w+ ){0,2}(internad[oa]|hospitalizad[oa]|acamad[oa])\b",
    r"\b(to|tou|estou|eu) (aqui )?(no|na|num) (hospital|pronto socorro|uti|upa)\b",
    r"\b(fiz|vou fazer|to fazendo|estou fazendo|fazendo|operei|opero) (1 )?"
    r"(cirurgia|operacao|quimio|radio|hemodialise|dialise)",
    r"\b(to|tou|estou|fiquei) (muito )?(de cama|hospitalizad[oa])",
    r"\b(tratamento|tratando) (de |do |da |contra )?(cancer|tumor|leucemia)",
    r"\b(tive|sofri) (1 )?(avc|infarto|derrame)\b",
)
# Asked what this is about, while busy: "é rapidinho?", "oq é?". A question, not "depois".
_BUSY_BUT_ASKS = (
    r"(\b(oq|o que|oque|q) (e|eh|foi|houve|aconteceu|vc quer|vcs querem|precisa)\b|\brapid|\bdo que se trata\b)"
)

# Every list compiled when the module loads, in the process's startup: the first debtors after a
# deploy used to pay for it (about a sixth of the first turns' decisions went to `re`'s parser), and
# what startup built is then frozen out of the collector's walks (certokit.heap).
_OPT_OUT, _WRONG, _HUMAN, _BOT, _IDENTITY = _any(*OPT_OUT), _any(*WRONG), _any(*HUMAN), _any(*BOT), _any(*IDENTITY)
# "Foi mal pelo estresse, o dia tá uma merda": the heat taken back; what follows is what they mean.
_APOLOGY = _any(
    r"\bfoi mal\b",
    r"\b(desculpa|desculpe|perdao|perdoa|me perdoe?)\b.{0,30}\b(estresse|grosseria|jeito|palavrao|xing|nervos|"
    r"descontrol|falei|exalt|estourei|ignorancia)",
    r"\bme exaltei\b",
)
_PAID, _PROMISE, _HARDSHIP, _INSTALL, _CASH = _any(*PAID), _any(*PROMISE), _any(*HARDSHIP), _any(*INSTALL), _any(*CASH)
_CANT_PAY = _any(*CANT_PAY)
_DISTRESS, _VIOLENCE, _CRISIS_OF_ANOTHER = _any(*DISTRESS), _any(*VIOLENCE), _any(*CRISIS_OF_ANOTHER)
_CRISIS_OF_ONESELF = _any(*CRISIS[1:])  # all but the bare "suicid", which says nothing of whose
# The words a plain yes is made of: acceptance, courtesy, and the terms' own words (which
# `brain.changed_terms` reads against the offer). A yes with any other word in it ("claro, senta lá",
# "beleza, vou lá no pé de dinheiro buscar", a name, a story) may mean something else, irony first:
# the bot asks once more with the exact terms instead of closing. Laughter is not in it: "claro kkkk"
# to an offer is more often a joke than a yes.
_PLAIN_YES_TEXT = """
    sim s ss si isso ok okay blz beleza fechou fechado fecha fechar fechamos fechem bora show claro pode ser
    mandar manda mande envia enviar envie gerar gera gere perfeito combinado certo certinho top uhum aham
    aceito aceita topo demorou confirmo confirmado confirma quero faco faz fazer vamos nessa la ta to bom boa
    otimo de acordo feito crer com certeza exatamente exato mesmo msm mesma assim
    entao ai ae agora ja pra mim por favor pfv pf pfvr muito obrigada obrigado obg brigada valeu vlw amem
    deus abencoe abencoa gracas oi ola opa dia tarde noite moca querida senhora senhor
    minha meu fia fio filha filho querido amor moco nas nos pelo pela aqui zap whats whatsapp
    sin fexa fexar fexo fexou fase faze vai uai so bao po parceiro parca firmeza fmz mano mana tche bah tri
    oxe visse arretado eita pdp deal yes perfeitamente estou condicoes apresentadas podem emitir emite
    gentileza intao cara vei irmao suave dale partiu joia certeza tambem tb ah ahh hm hmm muda mude mudar troca
    esta bien bueno vale cerrar cierra puede pagamento nessas nestas aguardo codigo copia cola texto
    desculpa desculpe demora incomodo perdao audio falei disse q entendi valor desse deste dessa nessa nesse
    falou ficou fica proposta condicao fecho net internet travou caiu sinal acepto las cuotas cierra cierre
    essas esses estes estas aquela aquele paga pago neto neta com vencimento loterica banco agencia app caixa
    fico mais segura seguro aliviada aliviado
    sao cada da consigo ahhh ahhhh concordo concordamos podi bolete boleti fecha fexa pode
    e eu a o os as no na em do da que vc voce tiver melhor esse essa este esta bem sera vou pagar eh trocar troque
    confirmar confirme confirmada novo
    boleto pix vista avista parcelado parcelada parcelas parcela vezes vez x reais real r entrada mes meses
"""
PLAIN_YES_WORDS = frozenset(_PLAIN_YES_TEXT.split())
_TOKENS = re.compile(r"[a-z]+|\d+")
_LAUGHTER = _any(r"\b(k{3,}|(ha){2,}|(rs){2,}|hue(hue)+)", r"[😂🤣😅😆😹]")
_SETTLE, _ACCEPT, _REFUSE, _REFUSE_WORDS = _any(*SETTLE), _any(*ACCEPT), _any(*REFUSE), _any(*REFUSE[1:])
_LATER, _CHANGE, _CONDITIONAL, _GREETING = _any(*LATER), _any(*CHANGE), _any(*CONDITIONAL), _any(*GREETING)
_DEBT_Q, _PIX, _BOLETO = _any(*DEBT_Q), _any(*METHOD_PIX), _any(*METHOD_BOLETO)
_BY_DIVISION = _any(r"parcel", r"dividi", r"vezes", r"\bcada (uma|1|parcela|prestacao|mes|boleto)\b")
_MONTHLY = _any(r"\b(por|ao|cada|todo) mes\b", r"\btodos os meses\b", r"\bmensa(l|is)\b", r"/mes\b")
_FORGIVEN = _any(r"\bperdo(a|am|ar)\b", r"\banisti", r"\bzera(r|m)? a divida")
_ENTRADA = _any(r"\bentrada\b")
_PAYING = _any(r"\b(eu )?(pago|vou acertar|acerto|quito)\b")
_WHEN_PAID = _any(r"\b(assim que|quando) (eu )?receber\b")
_PERCENT_Q, _BUREAU_Q, _ILLNESS = _any(*PERCENT_Q), _any(*BUREAU_Q), _any(*ILLNESS)
_PAY_ELSEWHERE, _OTHER_PAYER, _FEAR_Q = _any(*PAY_ELSEWHERE), _any(*OTHER_PAYER), _any(*FEAR_Q)
_BEST_Q, _CLAIMED_AUTH, _ARE_YOU_HUMAN = _any(*BEST_Q), _any(*CLAIMED_AUTH), _any(*ARE_YOU_HUMAN)
_WEEKLY = _any(
    r"\b(toda|cada|por|na|uma vez por) semana\b(?! (que|q) vem)",
    r"\bsemanal(mente)?\b",
    r"\btoda (segunda|terca|quarta|quinta|sexta|sabado)( feira)?\b",
    r"\brecebo por (semana|dia|diaria)\b",
)
_WEEKLY_AMOUNT = re.compile(
    r"\b(?:uns |umas |tipo |de )?(\d{2,4})(?:,00)? ?(?:reais |real |conto |pila )?(?:toda|cada|por|na) "
    r"(?:semana|sexta|sabado|segunda|terca|quarta|quinta)"
    r"|\b(?:toda|cada|por) (?:semana|sexta|sabado)\b.{0,25}?\b(?:uns |tipo |de )?(\d{2,4})\b"
)
# "Tô ocupada agora, mas fala": busy, and still listening.
_GO_AHEAD = re.compile(r"\b(mas|pode) (fala|falar|diz|dizer|manda|mandar|pode falar|pode mandar)\b\W*$")
_LOST = re.compile(
    r"\b(nao|n|num) (intendi|entendi|entendo|intendo|to entendendo|estou entendendo)\b(?! (por ?que|pq))"
)
_NOT_CLOSING = re.compile(r"\bnao (quero |vou |prefiro |posso |da pra |consigo )?(fechar|fecho|fechamos|aceitar)\b")
_FURTHEST = _any(
    r"\bo mais (pra frente|longe|tarde) (que|q) (vc|voce|vcs|der|puder|conseguir|da)",
    r"\b(data|dia|vencimento|prazo) mais (longe|distante|pra frente|tarde|longo)\b",
    r"\bo mais (longe|distante|pra frente|tarde) (possivel|que der|q der|que puder|q puder)\b",
)
_ASKS_DAY = _any(
    r"\bno dia (q|que|em que) (cai|recebo|entra|pinga|sai|chega|deposita|o beneficio|o bolsa|o salario)",
    r"\b(posso|da pra|consigo|pode|tem como) (escolher|mudar|trocar) o dia\b",
)
# Questions about the terms themselves, before any yes: each has its straight answer (`brain.TERM_ANSWERS`), and
# the terms on the table stay there.
TermQuestion = Literal["fixed", "early", "round", "validity", "receipt", "channel", "fee", "job_loss", "interest"]
_TERM_QUESTIONS: tuple[tuple[TermQuestion, re.Pattern[str]], ...] = (
    (
        "early",
        _any(
            r"\b(posso|da pra|consigo|pode|tem como|se eu|e se eu quiser) (pagar|quitar|adiantar|antecipar)\b.{0,35}"
            r"\b(antes|adiantad|antecipad)",
            r"\b(adiantar|antecipar) (as |uma |a |alguma )?(parcela|pagamento)",
            # "se num mês pegar uma obra boa, posso pagar 2 parcela de uma vez?"
            r"\bpagar (2|duas|mais de uma|as|umas) parcelas? (de (uma|1) vez|juntas|junto|no mesmo mes|adiantad)",
            r"\b(pagar|quitar) (tudo|o resto) (de uma vez )?(adiantado|antes)\b",
        ),
    ),
    (
        # "E se eu for mandado embora no meio do acordo? perco o que já paguei?"
        "job_loss",
        _any(
            r"\b(mandad[oa] embora|demitid[oa]|perder o emprego|perco o emprego|ficar desempregad[oa]|lay-?off)\b"
            r".{0,60}\b(acordo|parcela|meio|perco|como fica)",
            r"\b(se|e se) (eu )?(for|ficar|perder|perdesse)\b.{0,30}\b(demitid|embora|emprego|desempregad)",
        ),
    ),
    (
        "fixed",
        _any(
            r"\b(valor|parcela|parcelas|prestacao|prestacoes|isso)\b.{0,25}\bfix[oa]s?\b",
            r"\b(vai|vao|pode) (aumentar|aumenta|subir|crescer)\b",
            r"\b(tem|vai ter|cobra|cobram|incide) (correcao|reajuste)\b",
            # "o valor das parcela não muda no meio do caminho não, né?", "fica sempre nesse valor?"
            r"\b(valor|parcela|parcelas|prestacao)\b.{0,30}\b(muda|mudar|altera|alterar|varia|variar)\b",
            r"\bfica sempre (nesse|no mesmo|o mesmo|esse) valor\b",
            r"\bvai aumentando\b",
        ),
    ),
    (
        # "O boleto chega por onde? whats ou email?"
        "channel",
        _any(
            r"\b(boleto|pix|codigo|parcelas?)\b.{0,25}\b(chega|vem|vai vir|manda|mandam|envia|enviam|recebo)\b.{0,25}"
            r"(por onde|onde|whats|zap|e-?mail|correio)",
            r"\b(chega|vem|vai vir) (por|pelo|no) (whats|zap|e-?mail|correio)",
        ),
    ),
    (
        # "tem alguma taxa pra pagar o boleto?", "há cobrança de tarifa pela emissão?"
        "fee",
        _any(
            r"\b(taxa|tarifa|custo)\b.{0,40}\b(boleto|pix|emissao|pagar|pagamento)\b",
            r"\b(boleto|pix)\b.{0,25}\b(taxa|tarifa)\b",
        ),
    ),
    (
        # "JUROS TEM?", "essa parcela já tá com juros dentro?"
        "interest",
        _any(r"^(e )?juros?\b.{0,15}(\btem\b|dentro|incluso|inclus|embutid|em cima)", r"\btem juros?\b"),
    ),
    (
        "receipt",
        _any(
            r"\b(recebo|vou receber|tem|da|dao|manda|mandam|emite|emitem|ganho|fico com)\b.{0,25}"
            r"\b(comprovante|recibo|carta de quitacao|declaracao de quitacao|termo de quitacao)\b.{0,40}\?",
            r"\b(depois de|quando eu|apos) (pagar|quitar)\b.{0,40}\b(comprovante|recibo|quitacao)\b",
        ),
    ),
    ("round", _any(r"\barredond", r"\b(tira|tirar|sem|corta|cortar) (os |esses |esse |o )?centavos?\b")),
    (
        "validity",
        _any(
            r"\b(proposta|oferta|condicao|desconto|valor|preco)\b.{0,20}\bvale(ndo)? (ate|por quanto)",
            r"\bate quando (vale|fica|e valid|posso|tenho|consigo)",
            r"\b(validade|prazo) d[aoe] (proposta|oferta|desconto|condicao)",
        ),
    ),
)
# A no with its reason or its goodbye ("não vou fazer não, obrigada pela atenção"): respected at once, never a
# better price pushed after it.
# Someone else reading the screen, or figures asked to wait: the debt is not shown until they say so.
_NO_FIGURES = _any(
    r"\b(nao|n) (fala|fale|manda|mande|mostra|mostre|escreve|escreva|coloca|poe)\b.{0,12}"
    r"\b(valor|valores|numeros|quanto)",
    r"\b(ta|esta|tao|estao|fica) (aqui )?(do|ao) (meu )?lado\b.{0,25}\b(lendo|vendo|olhando)",
    r"\b(lendo|vendo|olhando) (tudo|o celular|a tela|minhas mensagens|as mensagens)\b",
)
_FIRM_NO = _any(
    r"\bnao vou (fazer|querer|pegar)(?! (agora|hoje|ainda|por enquanto|nesse momento))( (nao|nada|mesmo|acordo))?\b",
    r"\bnao resolve (o )?meu problema\b",
    r"\bnao quero mais\b",
    r"\bnao vou fechar\b(?! (agora|hoje|ainda|por enquanto|nesse momento|com voce|contigo|antes))",
)
# A no to any deal at all, whatever numbers come with it ("não vou assumir parcela de 10 meses"): final too.
_FIRM_NO_DEAL = _any(
    r"\bnao (vou|quero) (assumir|fazer|fechar) (esse |um |nenhum |o )?(acordo|parcelamento|parcela)",
    r"\bnao adianta (fazer|fechar) (acordo|o acordo|parcelamento)",
    r"\bnao vou prometer\b",
)
_EXCEPTION = _any(r"\bexce[cç](ao|oes)\b", r"\b(quebra|quebrar) (esse|um) galho\b")
_PAY_BY_CARD = _any(
    r"\b(pagar|passar|pago|parcelar|parcela|paga) (no|com|pelo|com o|em|no meu) (cartao|credito|nubank|visa|master)",
    r"\b(aceita|aceitam|da pra|pode ser no|tem como no) (cartao|credito)( de credito)?\b",
    # Other means the creditor does not take here: automatic debit, a debit card, the FGTS, the payroll.
    r"\bdebito automatico\b|\bcartao de debito\b|\bno debito\b.{0,20}\?",
    r"\b(puxa|puxam|puxar|desconta|descontam|descontar|tira|tiram|tirar|aceita|aceitam|usar|usa|pagar com|paga com)"
    r"\b.{0,20}\b(do |o |meu |pelo |com o )?fgts\b",
    r"\bdesconto (em|na) folha\b|\bdescontar (direto )?(do|no|na) (salario|folha|contracheque)\b",
)
_SURPRISE = _any(r"\?\?", r"\b(oxe|eita|ta doid|ta louc|ta maluc|como assim|ce ta doid|vc ta doid|caramba)")
_GOOD_NEWS = _any(
    r"\b(consegui|arrumei|arranjei|passei (na|numa)|fui chamad[oa] (pra|para|numa)) (uma |um |1 )?(vaga|emprego|trampo|"
    r"servico|trabalho|entrevista)",
    r"\bcomeco (a trabalhar|no emprego|no trampo|mes (que|q) vem|semana (que|q) vem)",
)
_NO_PITCH = _any(
    r"\b(nem vem|nao adianta|nao precisa|para de|pare de|nao quero|nao vem)\b.{0,15}\b(me )?(oferecer|oferece|ofertar"
    r"|mandar|empurrar|falar de) .{0,10}(desconto|parcel\w*|proposta|oferta|acordo)",
)
_TOO_MANY = _any(
    r"\b(todo (santo )?dia|toda hora|todo minuto|varias vezes|\d+ vezes (no|por) dia|ate (sabado|domingo)|de madrugada)"
    r"\b.{0,40}\b(msg|mensage\w*|liga\w*|cobran\w*|zap)",
    r"\b(msg|mensage\w*|liga\w*|cobran\w*)\b.{0,30}\b(todo (santo )?dia|toda hora|sem parar)\b",
    r"\bcobranca abusiva\b|\bart(igo|\.)? ?42\b",
    r"\b(vcs|voces) (nao param|param nunca)\b|\bparam de mandar\b",
)
_DATA_ACCESS = _any(
    r"\b(acesso|copia|relatorio|saber|informar|informacao)\b.{0,40}"
    r"\b(meus |todos os meus |aos meus )?dados( pessoais)?\b",
    r"\bart(igo|\.)? ?18\b.{0,20}\blgpd\b|\blgpd\b.{0,30}\bart(igo|\.)? ?18\b",
    r"\b(de onde|como) (vcs|voces) (tiraram|pegaram|conseguiram) (meus dados|meu numero)\b.{0,40}\bcompartilh",
)
_ASSISTED = _any(
    r"\b(ela|ele) (ta|esta|tá) (aqui )?(do meu lado|aqui comigo|comigo aqui|junto comigo|aqui do lado)\b",
    r"\beu (escrevo|digito|to escrevendo|estou escrevendo|to digitando|estou digitando) (o que|pra|por) (ela|ele)\b",
    r"\b(escrevendo|digitando) (pra|por) (ela|ele|minha (avo|vo|mae)|meu (avo|vo|pai))\b.{0,40}\b(do meu lado|aqui|"
    r"nao enxerga|nao sabe (ler|escrever|mexer))",
)
_HANDOVER = _any(
    r"\b(me passou|me passaram|me deu|me entregou|passou pra mim) o (celular|telefone|cel|zap|whats|aparelho)\b",
    r"\bsou eu (a|o) (titular|dona|dono)\b",
    r"\b(aqui|quem fala) (e|eh) (a|o) (propria|proprio|titular)\b",
    r"\bsou (a|o) (titular|propria|proprio)\b",
    r"\ba titular\b.{0,20}\b(aqui|sou eu|falando)\b|\b(aqui|sou eu|falando)\b.{0,20}\ba titular\b",
)
# Asking for the terms without committing: shown as information, and a later "ok" is not a yes to them.
_JUST_ASKING = _any(
    r"\b(so|apenas|somente|mais) (pra|para|p) (eu )?(saber|ter (uma )?(ideia|nocao)|me informar|informacao|"
    r"conferir|comparar|simular|planejar)\b",
    r"\bso (quero|queria) (saber|ver|ter uma ideia|uma simulacao)\b",
    r"\bsem compromisso\b|\bpor curiosidade\b|\bso (uma )?simulacao\b|\bsimula (pra|para) mim\b",
    r"\bnao (vou|quero|posso) fechar (nada )?(agora|hoje|ainda|por enquanto)\b",
    # Comparing, simulating, showing someone at home: terms to look at, not to say yes to yet.
    r"\b(e|eh|so) (pra|para) (ver|comparar|ter ideia|mostrar)\b|\b(quero|queria|vou|pra) comparar\b",
    r"\b(proposta|oferta) de outr[ao] (empresa|banco|lugar|loja)\b",
    r"\bsimul(a|ar|e|ou|acao|acoes)\b",
    r"\b(pra|para) (mostrar|levar|passar) (pro|pra|para o|para a|ao|a) (meu|minha|o|a) ",
    r"\b(so|apenas) (quero|queria) entender\b|\bhoje (eu )?nao (vou )?fech",
)
# An acknowledgement and nothing else: heard, never a yes to terms the debtor did not ask for.
_WEAK_ACK = re.compile(
    r"^(ok|okay|okk|certo|entendi|entendido|blz|beleza|ta|ta bom|ta certo|hm+|ah+|aham|uhum|entao ta|ok entendi|"
    r"certo entendi|sei|anotado|visto|ok obrigad[oa]|certo obrigad[oa])\W*$"
)
# A word that closes, said plainly: what it takes to close for someone who was only looking.
# The closing asked for in so many words ("pode fechar as 5x", "aceito a proposta", "pode emitir"), which a yes
# with courtesies around it must hold; a bare "fechou" with a story ("fechou, vou vender meu rim") is not one.
_EXPLICIT_CLOSE = _any(
    r"\bpode (fechar|gerar|emitir|mandar|fazer|enviar)\b",
    r"\b(aceito|aceitamos|confirmo)\b",
    r"\bfech[ae] (as|os|em|a|o|nas|nos|assim|entao|logo)\b",
    r"\bmanda (ai|o boleto|os boleto|os boletos|pra mim)\b",
)
# A yes said as a joke about how to pay it: never a plain yes.
_IRONY = _any(r"\b(vender (o |um |meu )?rim|vender um rim|assaltar|roubar (um )?banco|na mega|na loteria)\b")
# "Vou fechar com a outra empresa": a closing word that is not about these terms.
_ELSEWHERE = _any(r"\b(outra|outro) (empresa|lugar|banco|loja|proposta)\b", r"\bcom (eles|a loja|o banco)\b")
_CLOSING_WORD = _any(
    r"\b(fech\w*|fexa\w*|aceito|aceita|confirmo|confirmar|bora|pode gerar|gera|pode emitir|emite|manda o boleto|"
    r"quero fazer|"
    r"vamos fazer)\b"
)
# A guarantor charged for someone else's loan: the aval is why it reaches them.
_GUARANTOR = _any(r"\b(avalista|fiador|fiadora|fianca)\b", r"\b(assinei|fui|sou|era) (de |como )?(o |a )?aval\b")
# What happens if an installment is late: a question, not a change of terms nor a cancellation.
_LATE_Q = _any(
    r"\b(e |mas e )?(se|caso) (um mes |1 mes |num mes |algum mes |uma vez |1 vez |alguma vez |por acaso )?(eu )?"
    r"(atrasar|atrase|atraso|nao (pagar|conseguir pagar|pague)|falhar|esquecer de pagar)"
    r"\b.{0,40}(\?|acontece|cancela|perco|perde|cai|juros|multa)",
    r"\b(o que|oq|q) acontece se (eu )?(atrasar|nao pagar|atraso|esquecer)\b",
    r"\bse atrasar\b.{0,20}\b(cancela|perco|perde|cai|juros|multa)",
)
# "Vence quando?": the due date of what was just offered.
_DUE_Q = _any(
    r"\b(vence|venceria|vai vencer|venc[eo]) (quando|que dia|q dia|qual dia|ql dia|em que dia|em q dia)\b",
    r"\b(a )?(primeira|1a|1) (parcela )?(e|fica|cai|vence|seria) (pra |para )?(quando|q dia|que dia|qual dia)\b",
    r"\bquando (vence|venceria|vai vencer|e o vencimento|eh o vencimento|tenho que pagar|preciso pagar)\b",
    r"\bqual (o|a|e o|eh o) (vencimento|data de vencimento|data pra pagar|data do boleto)\b",
    r"\b(pra|para) (quando|que dia) (fica|seria|e) o (boleto|vencimento|pagamento)\b",
)
# "Que conta de luz? Eu pago a minha em dia": which debt is this, never a yes nor a plan.
_WHICH_DEBT = _any(
    r"(^|[.!,] ?)(mas |ue |ue, |oxe |ahn |hein )?(que|qual|q) (conta|divida|debito|cobranca|emprestimo|cartao|"
    r"crediario|mensalidade|fatura)( de luz| de energia| escolar| pessoal| de credito)?( e essa| eh essa| e esse)? ?\?",
    r"\beu (pago|sempre paguei|sempre pago) (a minha|as minhas|minhas contas|minha conta|tudo)( conta| de luz)? "
    r"(em dia|certinho|direitinho)\b",
)
# Someone other than the titular at the phone after the CPF check: the titular spoken of in the third
# person, the phone handed over, a yes passed on. Only the titular decides; nothing more is told meanwhile.
_OTHER_TYPING = _any(
    r"\b(e |mas )?(ele|ela) (consegue|conseguiria|vai conseguir|da conta de) (pagar|parcelar|negociar|quitar|fechar|"
    r"dividir|acertar)\b",
    r"\b(e |mas )?(ele|ela) (pode|poderia|quer) (parcelar|negociar|dividir|fechar)\b",
    rf"\b(o |a )?(meu |minha )?{RELATIVE} (vai )?(continuar|assumir|negociar|conversar|falar) (aqui|com (vc|voce|vcs)|"
    rf"por mim|no meu lugar|daqui|isso)\b",
    rf"\bvou passar (o (celular|telefone|cel|zap|whats) )?(pro|pra|para) (o |a )?(meu |minha )?{RELATIVE}\b",
    r"\b(ele|ela) entende mais (disso|dessas coisas|de conta|de numero)\b",
)
_RELAYED_YES = _any(
    r"\b(ela|ele) (ta|esta|tá) (dizendo|falando|mandando dizer|pedindo pra dizer) (que|q) "
    r"(sim|pode|ta bom|quer|aceita)",
    r"\b(ela|ele) (disse|falou|mandou dizer|pediu pra dizer) (que|q) (sim|pode|ta bom|quer|aceita)",
    rf"\b(minha|meu) {RELATIVE} (disse|falou|ta dizendo|esta dizendo|mandou dizer) (que|q) "
    r"(sim|pode|ta bom|aceita|quer)",
)
_BACK_IN_PERSON = _any(
    r"\b(voltei|to de volta|tou de volta|estou de volta)\b",
    # "Aqui é a Rosângela mesmo", "sou eu, a Ana, de novo", "desculpa, era meu marido".
    r"\b(aqui (e|eh)|sou|quem fala (e|eh)) (a |o )?[a-z]+,? (mesm[oa]|de novo|agora|de volta)\b",
    rf"\b(era|foi) (o |a )?(meu |minha )?{RELATIVE}( (que|q) (escreveu|mandou|falou))?\b",
    r"\bsou eu (de novo|novamente|mesm[oa]|agora)\b",
    # "é o Cláudio agora, parei o caminhão": the titular, by name, taking the phone back.
    r"^(oi,? |opa,? |ola,? )?(e|eh) (o|a) [a-z]+ (agora|aqui agora|mesm[oa])\b",
    r"\b(aqui|agora) (e|eh|quem fala e) (eu|o proprio|a propria|o titular|a titular)( de novo)?\b",
)
# Before anything: a job seeker, "fala logo o assunto", "vão pedir senha?": who we are (and the CPF).
# "Quem te passou meu número??", "como vcs conseguiram meu número?": where the number came from.
_HOW_NUMBER = _any(
    r"\b(quem|como|onde|da onde|de onde)\b.{0,25}\b(passou|deu|conseguiu|conseguiram|arrumou|arrumaram|pegou|pegaram|"
    r"tem|tirou|tiraram)\b.{0,15}\bmeu (numero|contato|telefone|celular|zap|whats)",
)
# "É da entrega? meu pacote tá parado": not a delivery, said plainly, before the CPF question again.
_DELIVERY_Q = _any(
    r"\b(e|eh|sobre|da|do) (a |o )?(minha |meu )?(entrega|encomenda|pacote|pedido|correios|frete)\b.{0,50}\?",
    r"\bmeu (pacote|pedido|produto|gas|botijao)\b.{0,30}\b(parad|atrasad|chega|chegou|vem|trazer)",
    r"\bpode trazer (o |a )?(gas|botijao|agua|pedido)\b",
)
_NOT_A_JOB = _any(
    r"\b(sobre|e|eh|da|de|pra|para) (a|uma) (vaga|entrevista)\b.{0,40}\?",
    r"\bvaga de (atendente|emprego|trabalho|vendedor\w*|auxiliar|operador\w*|caixa|estagio)\b.{0,40}\?",
    r"\b(mandei|enviei|deixei|entreguei) (o |meu |um )?curriculo\b",
    r"\bprocesso seletivo\b|\b(e|eh) (sobre|do|da) (o )?(emprego|trabalho|vaga)\b",
)
_WHAT_ABOUT = _any(
    r"\b(fala|diz|diga|manda) (logo )?(o|qual e o|qual o) assunto\b",
    r"^(\w+ )?(fala|diz|diga) logo\W*$",
    r"\bqual (e |eh )?o assunto\b",
    r"\b(do|sobre o) (que|q) se trata\b",
)
_SECRET = (
    r"(senha|token|codigo (do zap|do whats|do whatsapp|de verificacao|de seguranca|que chegou|q chegou|por sms|"
    r"do banco|de 6 digitos))"
)
# Asked, never told: "vão pedir senha? código do zap?" is the question; "ele pegou a senha do banco" is a story.
_SECRETS_Q = _any(
    rf"\b{_SECRET}\b\W*\?",
    rf"\b(vao|vai|vcs vao|voces vao|vc vai|voce vai|tem que|tenho que|preciso|precisa) (me )?(pedir|passar|mandar|"
    rf"informar|digitar|querer|dar)\b.{{0,25}}\b{_SECRET}\b",
)
# "Manda o boleto no zap dela, o número é 71 99123-4567": documents go only to this thread's number.
_TO_OTHER_NUMBER = _any(
    r"\(?\b\d{2}\)?[ .-]?9?[ .-]?\d{4}[ .-]?\d{4}\b",
    r"\b(manda|mandar|mande|envia|enviar|envie|passa|joga)\b.{0,40}\b(pro|pra|no|na|para o|para a) "
    r"(zap|whats|whatsapp|numero|celular|telefone|email|e-mail) (dela|dele|d[ao] \w+)\b",
)
_SELF_INTRO = re.compile(r"\b(aqui (e|eh)|sou eu|sou|quem fala (e|eh)) (a|o) [a-z]+( de novo| novamente)?\b")
_PAST_OPT_OUT = re.compile(r"\b(eu )?(ja )?(tinha|havia) pedido (pra|para|que) [^.!?]{0,70}?\bmas\b")
_SIGHED_YES = re.compile(
    r"\b(vai )?(aperta|apertar|apertado|fica apertado|e puxado|fica puxado|pesa|e pesado)"
    r"( um pouco| 1 pouco| bastante)?,? "
    r"mas (?P<yes>(eu |a gente )?(faco|fecho|topo|aceito|pago|consigo|vou fazer|vou pagar))\b"
)
_CLOSED_PLACE = re.compile(
    r"\b(loja|empresa|firma|fabrica|agencia|escola|faculdade|academia|banco|comercio|mercado|clinica|ela|ele)"
    r" (ja |tinha |que )?(fechou|fechado|fechada|faliu)\b"
)
_RANGE_Q = _any(
    r"\b(quantas|qntas|qtas) (vezes|parcelas|x)( e que| q)? (da|dao|posso|consigo|pode|vcs fazem|voces fazem|tem|cabe)",
    r"\b(em )?ate quantas (vezes|parcelas)\b",
    r"\b(nao sei|nem sei) (em )?quantas (vezes|parcelas)?",
    r"\bo (que|q) (fica|e) melhor pra mim\b",
)
_RETRACTED = re.compile(
    r"\b(nao|n),? (pera|peraí|perai|espera)\b[ ,.]*(esquece|deixa)?|\besquece( isso)?\b|\bdeixa pra la\b|\bmelhor nao\b"
    r"|\bmudei de ideia\b"
)
_ELSE_NO = re.compile(r"[,.;]? ?\b(se nao|senao|sinao|caso contrario)\b[^?]{0,40}$")
_PUZZLED = re.compile(
    r"[?!. ]*(ha+|hein|hm+|hum+|ue|oi|o que|oque|oq|q|que|como assim|como|nao entendi( nada)?|n entendi|nao entendo"
    r"|entendi nada|what)?[?!. ]*"
)
# The way to pay is the trouble, not the price: no lotérica near, no bank account, an app that fails.
# Answered with the other ways (the PIX code, someone who pays for them), never with a bigger discount.
_METHOD_TROUBLE = _any(
    r"\b(boleto|loterica|app|aplicativo|banco|pix|codigo)\b[^.?!]{0,30}\b(nao (funciona|abre|carrega|presta|entra"
    r"|passa|le|aceita)|bugad\w*|travad\w*|quebrad\w*|fora do ar|deu (erro|pau)|da erro)",
    r"\b(nao (da|consigo|tenho como|posso)|sem como) (ir|chegar) (na|no|ate a|ate o|em|numa|num) "
    r"(loterica|banco|agencia)\b",
    r"\bnao (consigo|sei) (pagar|usar|mexer) (pelo|no|o|com o) (app|aplicativo|celular|pix)\b",
    r"\b(nao (tenho|tem|uso|sei usar)|sem) (conta (em|no|de) banco|conta bancaria|banco|loterica|app( do banco)?"
    r"|aplicativo( do banco)?|celular bom|internet)\b",
    r"\b(loterica|banco|agencia)\b[^.?!]{0,15}\b(e|fica|ta|esta|sao|ficam) (muito |mt |bem )?(longe|fechad\w*)",
)
# Thanks and blessings alone: a courtesy, never a question to answer with the offers again.
_THANKS = _any(
    r"^(muito |mt |mto )?(obrigad[oa]|obg|brigad[oa]|valeu|vlw|agradeco|grat[oa])\b(?!.*\b(mas|porem|so que)\b)",
    r"^(ok |ta |blz )?(obrigad[oa]|obg)( (filha|moca|querida|minha filha|meu filho|viu))?,? "
    r"(deus|que deus) (te |lhe )?abencoe",
    r"^(deus|que deus) (te |lhe )?abencoe",
)
_MEANING_Q, _PRIORITY_Q, _DISCRETION_Q, _SMALLEST_Q = (
    _any(*MEANING_Q),
    _any(*PRIORITY_Q),
    _any(*DISCRETION_Q),
    _any(*SMALLEST_Q),
)
_BUSY_ASKS = _any(_BUSY_BUT_ASKS)
_LEGAL, _CPF_WHY = _any(*LEGAL), _any(*CPF_WHY)
_DECEASED_ANY = _any(r"\bfalec", r"\bmorreu\b", r"\bfaleceu\b", r"\bmorte\b", r"\bobito\b")
_MY_DATA = _any(*MY_DATA)
_ERASURE = _any(
    r"\b(apag|exclu|delet|elimin|remov)[a-z]* (todos )?(os )?(meus )?dados\b",
    r"\b(exclusao|eliminacao|remocao) (dos|de) (meus )?dados\b",
)
_SPEAKS_FOR, _ANOTHERS_DEBT, _REPRESENTATIVE = _any(*SPEAKS_FOR), _any(*ANOTHERS_DEBT), _any(*REPRESENTATIVE)
_INTEREST = _any(r"(?<!sem )\bjuros\b", r"\bacrescimo\b")
# "Quanto dá à vista e quanto parcelado?": both ways asked for at once.
_OPTIONS_Q = _any(
    r"\b(quanto|qnto|qto|qual|quais|total)\b.{0,60}\ba vista\b.{0,60}\b(parcel|dividi|prazo)",
    r"\b(quanto|qnto|qto|qual|quais|total)\b.{0,60}\b(parcel|dividi)[a-z]*\b.{0,60}\ba vista\b",
    r"\b(quanto|qnto|qto|qual|quais|total)\b.{0,60}\ba vista\b.{0,60}\b\d{1,2} ?(x|vezes|parcelas)\b",
    r"\b(quanto|qnto|qto|qual|quais|total)\b.{0,60}\b\d{1,2} ?(x|vezes|parcelas)\b.{0,60}\ba vista\b",
)
# "Quanto fica em 4x e em 6x?": two plans asked side by side, never one of them to confirm.
_TWO_COUNTS = re.compile(
    r"\b(quanto|qnto|qto|qual|como|fica|ficaria|da|daria|simula)\b.{0,40}?\b(\d{1,2}) ?(?:x|vezes|parcelas)?"
    r" (?:e|ou) (?:em |de |no |na )?(\d{1,2}) ?(?:x|vezes|parcelas)\b"
)
_OPTIONS_WHICH = _any(
    r"\b(quais|qual) (sao |seriam |e |sera )?(as |a )?(opcoes|formas de pagamento|condicoes|propostas)\b"
)
# "1k", "1,5k", "2 mil": thousands as people write them.
_MONTH_NAMED = re.compile(
    r"\b(?:pra|para|la pra|ate|so em|so pra|so no|so|consigo em|consigo pra|pago em|pagar em|pode ser em|vencer em|"
    r"vence em|primeiro boleto em|no|em) (?:o )?(?:(comeco|inicio|meio|fim|final) de )?"
    r"(janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro)\b"
)
_PAST = re.compile(r"\b(perdi|fui|foi|aconteceu|desde|comecou|fiquei|entrei|sai|era|estava)\b")
_THOUSANDS = re.compile(r"\b(\d{1,3})(?:[.,](\d))?\s*(?:k|mil)\b")
_SPOKEN_THOUSANDS = re.compile(r"\b(\d{1,3})()\s1000\b")  # "dois mil" reads "2 1000" once the words are numbers


def _thousands(m: re.Match[str]) -> str:
    return str(int(m.group(1)) * 1000 + int(m.group(2) or 0) * 100)


_COUNT = re.compile(
    r"\b(\d{1,2})\s*(?:x|vezes|parcelas?|prestac\w*|boletos|carnes|mensalidades|cuotas|pagos)\b"
    r"|\b([2-9]|\d{2}) ?(?:vez|ves|veis|vezis|vzs|vz)\b"  # "6 vez", "dez ves": never "uma vez", which is à vista
    # "8 de 60": a count, then its amount.
    r"|(?<!dia )(?<!paguei )(?<!pagou )\b(\d{1,2}) (?:de|x de) (?=\d{2,5}\b(?! ?(?:de|/)))"
    r"|\b(?:vai|faz|fica|pode ser|fecha|fecho|fechar|fechado|fechou|fechamos) (?:em |nas |nos |as |os )(\d{1,2})\b"
    r"(?! (?:dias|reais|real|conto|de(?! \d)))"
    # "isso, as 8. fechado", "nas 10 entao": a count chosen among the plans, never an hour or a day.
    r"|(?:^|\b(?:isso|sim|ok|entao|quero|prefiro|beleza|blz|pode ser),? )(?:as|nas|em) (\d{1,2})\b"
    r"(?! ?(?:h\b|hs\b|horas|hrs|da manha|da tarde|da noite|dias|reais|real|conto|de|do|mil|k\b))"
)


def _installment_count(t: str) -> int | None:
    if re.search(r"\bmetade\b.*\b(metade|resto|outra)\b", t):  # "metade agora e metade mês que vem"
        return 2
    m = _COUNT.search(t) or re.search(r"\bem (\d{1,2}) meses\b", t)
    if m:
        return int(next(g for g in m.groups() if g))
    m = re.search(r"\bem (\d{1,2})\b", t)
    if m and _has(t, _BY_DIVISION):
        return int(m.group(1))
    m = re.fullmatch(r"(?:e|e se for|e se fizer|entao|ta,? e) (?:em|nas|no|de) (\d{1,2})\W*", t)  # "e em 5?"
    if m and 1 < int(m.group(1)) <= 48:
        return int(m.group(1))
    m = _CHOSEN_COUNT.search(t)  # "a de 6", "fico com a das 10": one of the plans just shown
    if m and 1 < int(m.group(1)) <= 48:
        return int(m.group(1))
    m = re.search(r"\bparcela(?:s|r|do|da)? (?:em )?(\d{1,2})\b(?! ?(?:de|reais|real|mil|k|%|/|dias))", t)
    if m and 1 < int(m.group(1)) <= 48:  # "EU QUERO PAGAR. PARCELA 5. QUANTO?"
        return int(m.group(1))
    return None


_CHOSEN_COUNT = re.compile(
    r"(?:^|\b(?:fico com|quero|vou de|prefiro|pode ser|manda|e|melhor) )(?:a|o|essa|esse|aquela|aquele) "
    r"(?:de|do|da|das|dos|em) (\d{1,2})\b(?! ?(?:reais|real|r\$|mil|k|%|por ?cento|dias|de [a-z]))"
)


def _amount_cents(original: str, t: str) -> int | None:
    """'R$ 1.200,00', '200 reais', 'uns 50 conto', '150/mês' → cents."""
    m = re.search(r"r\$\s*(\d{1,3}(?:\.\d{3})*(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)", t)
    if not m:
        m = re.search(
            r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)\s*(reais|real|reau|reaw|conto|pila|mango|contos|por mes|/mes|mensal)",  # noqa: E501
            t,
        )
    if not m:
        m = re.search(r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d{2,7}(?:,\d{1,2})?)\s*(?:a vista|de (?:uma|1) vez)", t)
        m = m or re.search(
            r"\ba vista (?:por|de|com|em) (?:r\$\s*)?(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d{2,7}(?:,\d{1,2})?)", t
        )
    if not m:
        m = re.search(
            r"\b(?:consigo|posso|da pra|dou|pago|tenho|se for|faz por|fecha por|fecho por|fica em|fica por|sai por"
            r"|ofereco|proponho|pagaria|daria|dava|pagava)"
            r"(?: (?:te |lhe )?(?:pagar|dar|oferecer|juntar|arrumar))?"
            r"\s+(?:uns |umas |ate |so |tipo |os |as |no maximo |mais ou menos )?"
            r"(\d{2,6}(?:,\d{1,2})?)\b(?![/.]?\d)(?!/)",  # not a date: "posso pagar 15/12"
            t,
        )
        if m and re.search(rf"{re.escape(m.group(1))}\s*(x|vezes|parcelas?)", t):
            m = None
    if not m:
        # The number first: "1000 eu consigo", "1100 e fecho agora", or a bare "e 900?" to an offer.
        m = re.search(
            r"(?<!dia )(?<!dias )(?<!/)\b(\d{2,6}(?:,\d{1,2})?) (?:e )?(?:eu )?"
            r"(?:consigo|posso|pago|dou|fecho|quito|topo|aceito)\b",
            t,
        ) or re.fullmatch(
            r"\W*(?:e se for|e por|por|que tal|q tal|faz por|e se eu (?:pagar|der)) (?:r\$\s*)?(\d{2,6}(?:,\d{1,2})?)"
            r"\s*\??\W*",
            t,
        )
        if m and re.search(rf"{re.escape(m.group(1))}\s*(x|vezes|parcelas?)", t):
            m = None
    if not m:
        return None
    before = t[max(0, m.start() - 30) : m.start()]
    if re.search(r"\b(ganho|recebo|renda|salario|vivo d[oe]|bolsa|auxilio|aposentadoria|pensao|ganhando)\b", before):
        return None  # "vivo do bolsa família, 600 conto": what they live on, never an offer
    if re.match(r"\s*(anos?|ano de idade|filhos?|dias?|meses|semanas)\b", t[m.end(1) :]):
        return None  # "tenho 74 ano": an age, never an amount
    raw = m.group(1)
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return int(value * 100) if value > 0 else None


def _day(t: str, today: date) -> date | None:
    m = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", t)
    if m:
        d, mo = int(m.group(1)), int(m.group(2))
        y = int(m.group(3)) if m.group(3) else today.year
        y = y + 2000 if y < 100 else y
        try:
            when = date(y, mo, d)
        except ValueError:
            return None
        return when if when >= today or m.group(3) else date(y + 1, mo, d)
    # "O quinto dia útil é dia 8, põe dia 9": the day asked for wins over a day only told.
    m = re.search(
        r"\b(?:poe|coloca|bota|muda pra|muda para|mude pra|deixa|quero|prefiro) "
        r"(?:no |pro |para o |o )?dia (\d{1,2})\b",
        t,
    )
    m = m or re.search(r"\bdia (\d{1,2})\b", t)
    if m and 1 <= int(m.group(1)) <= 31:
        day = int(m.group(1))
        # "no dia 5 do mês que vem": next month's, even when this month's is still ahead.
        ahead = 1 if re.search(rf"\bdia {day} do (mes (que|q) vem|proximo mes)\b", t) else 0
        for months in (ahead, ahead + 1, ahead + 2):
            base = add_months(today.replace(day=1), months)
            try:
                when = base.replace(day=day)
            except ValueError:
                continue
            if when > today:
                return when
        return None
    m = re.search(
        r"\b(?:daqui|uns|umas|em|dentro de) (?:a )?(?:uns |umas |1s )?(\d{1,2}) (dias?|semanas?|mes|meses)\b", t
    )
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if unit.startswith("dia"):
            return today + timedelta(days=n)
        return today + timedelta(weeks=n) if unit.startswith("semana") else add_months(today, n)
    # A month named as when to pay ("só consigo pra fevereiro", "no fim de janeiro"), never a past one
    # told in a story ("perdi o emprego em março").
    for m in _MONTH_NAMED.finditer(t):
        if _PAST.search(t[max(0, m.start() - 25) : m.start()]):
            continue
        month = MONTHS.index(m.group(2)) + 1
        day = {"comeco": 1, "inicio": 1, "fim": 28, "final": 28}.get(m.group(1) or "", 10)
        # "Lá pra dezembro", said in December: this month while its day is still ahead, never next year's.
        this_month = month == today.month and day > today.day
        year = today.year + (1 if month < today.month or (month == today.month and not this_month) else 0)
        return date(year, month, day)
    season = _after_season(t, today)
    if season is not None:
        return season
    if "depois de amanha" in t:
        return today + timedelta(days=2)
    if re.search(r"\bamanha\b", t):
        return today + timedelta(days=1)
    if re.search(r"\bsemana (que|q) vem\b|\bproxima semana\b", t):
        return today + timedelta(days=7)
    if re.search(r"\bmes (que|q) vem\b|\bproximo mes\b", t):
        return add_months(today, 1)
    for pattern, wd in _WEEKDAYS:
        if pattern.search(t):
            return today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1)
    return None


_AFTER_SEASON = re.compile(
    r"\b(?:depois|apos|passar|passando|quando passar) (?:d?[oa]s? )?"
    r"(carnaval|natal|ano novo|festas|virada|reveillon|pascoa)\b"
)


def _after_season(t: str, today: date) -> date | None:
    """ "Depois do carnaval", "depois das festas": the first day after the next such season."""
    m = _AFTER_SEASON.search(t)
    if m is None:
        return None
    season = m.group(1)
    for year in (today.year, today.year + 1):
        easter_day: date = easter(year)
        when = {
            "carnaval": easter_day - timedelta(days=45),  # the Thursday after Ash Wednesday
            "pascoa": easter_day + timedelta(days=1),
            "natal": date(year, 12, 26),
        }.get(season, date(year + 1, 1, 2))  # the year's turn: the first working days of January
        if when > today:
            return when
    return None


def _down_payment_cents(t: str) -> int | None:
    """'dou 500 de entrada', 'entrada de R$ 300,00', '200 reais de entrada' → cents."""
    num = r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)"
    m = re.search(
        rf"{num}\s*(?:reais|real|conto|contos|pila)?\s*(?:de|d|como|na|pra|pra dar de) entrada", t
    ) or re.search(rf"\bentrada (?:de |com |no valor de )?(?:r\$\s*)?(?:uns |so )?{num}", t)
    # "Consigo dar 300 agora e o resto depois": an entrada, with the rest in installments.
    m = m or re.search(
        rf"\b(?:dou|dar|pago|pagar|adianto|adiantar) (?:uns |r\$\s*)?{num}\s*(?:reais|real|conto|contos|pila)? "
        r"(?:agora|hoje|ja|de cara|de inicio|primeiro)\b.{0,30}\b(?:o resto|o restante|o saldo|a outra parte)\b",
        t,
    )
    if not m:
        return None
    return _cents_of(m.group(1))


def _cents_of(raw: str) -> int | None:
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return int(value * 100) if value > 0 else None


def _discount_pct(t: str) -> int | None:
    m = re.search(r"\b(\d{1,3})\s*(%|por ?cento)", t)
    return int(m.group(1)) if m and 0 < int(m.group(1)) <= 100 else None


# Checked in this order: the first family that matches is what the message means. A crisis, deaths and third
# parties come before anything that would make the bot talk about the debt; legal and anger before
# the negotiation words that may share their sentence ("vou no procon, não pago isso").
ORDERED: list[tuple[Intent, tuple[str, ...]]] = [
    (Intent.crisis, CRISIS),  # before everything: a person in danger is answered as one, whatever else they say
    (Intent.deceased, DECEASED),
    (Intent.opt_out, OPT_OUT),
    (Intent.third_party, THIRD_PARTY),
    (Intent.dispute, DISPUTE),
    (Intent.anger, ANGER),
    (Intent.identity_question, IDENTITY),
    (Intent.wrong_person, WRONG),
    (Intent.human, HUMAN),
    (Intent.legal_threat, LEGAL),
    (Intent.cpf_why, CPF_WHY),
    (Intent.bot_question, BOT),
    (Intent.already_paid, PAID),
    (Intent.prescription, PRESCRIPTION),
    (Intent.cancel, CANCEL),
    (Intent.second_copy, SECOND_COPY),
    (Intent.recall, RECALL),
    (Intent.breakdown, BREAKDOWN),
]
_ORDERED = [(intent, _any(*patterns)) for intent, patterns in ORDERED]


# Flags that are only "does this family appear?": one table instead of one keyword each.
_FLAGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("conditional", _CONDITIONAL),
    ("illness", _ILLNESS),
    ("method_trouble", _METHOD_TROUBLE),
    ("asks_range", _RANGE_Q),
    ("asks_smallest", _SMALLEST_Q),
    ("handover", _HANDOVER),
    ("assisted", _ASSISTED),
    ("no_pitch", _NO_PITCH),
    ("too_many", _TOO_MANY),
    ("weekly", _WEEKLY),
    ("furthest", _FURTHEST),
    ("exception", _EXCEPTION),
    ("pay_by_card", _PAY_BY_CARD),
    ("good_news", _GOOD_NEWS),
    ("asks_best", _BEST_Q),
    ("claims_auth", _CLAIMED_AUTH),
    ("representative", _REPRESENTATIVE),
    ("asks_my_data", _MY_DATA),
    ("erasure", _ERASURE),
    ("asks_meaning", _MEANING_Q),
    ("pay_elsewhere", _PAY_ELSEWHERE),
    ("other_payer", _OTHER_PAYER),
    ("fears", _FEAR_Q),
    ("thanks", _THANKS),
    ("asks_priority", _PRIORITY_Q),
    ("asks_discretion", _DISCRETION_Q),
    ("just_asking", _JUST_ASKING),
    ("guarantor", _GUARANTOR),
    ("asks_late", _LATE_Q),
    ("asks_due", _DUE_Q),
    ("which_debt", _WHICH_DEBT),
    ("other_typing", _OTHER_TYPING),
    ("relayed_yes", _RELAYED_YES),
    ("back_in_person", _BACK_IN_PERSON),
    ("weak_ack", _WEAK_ACK),
    ("closing_word", _CLOSING_WORD),
    ("to_other_number", _TO_OTHER_NUMBER),
)


def understand(text: str, today: date, *, learned: bool = True) -> Understanding:
    """What the message means: the rules first, the classifier (`learned`) only where they say unknown."""
    heard, ask = _rules(text, today)
    if heard.intent is Intent.already_paid and heard.day is not None and heard.day > today:
        # "Quitei em março": a payment told is in the past; the date reader looks ahead for due dates.
        heard = heard.model_copy(update={"day": _before(heard.day, today)})
    if not learned or not ask:
        return heard
    return heard.model_copy(update={"intent": _learned_intent(text, heard)})


def _before(day: date, today: date) -> date:
    """The same day of the month (or of the year) last time it came, for a date that must be past."""
    earlier = add_months(day, -1)
    while earlier > today:
        earlier = add_months(earlier, -1)
    if (day - today).days > 40:
        earlier = add_months(day, -12)  # a month named ("em março"): that month of the year, not last month
    return earlier


# A turn asks about the same text more than once (the flow's guards, then the offline engine), with
# no await in between: a few entries are enough, and hold no message (maybe CPF digits) for long.
# The classifier stays outside the cache: its model is rebuilt when the team's labels change.
@functools.lru_cache(maxsize=16)
def _rules(text: str, today: date) -> tuple[Understanding, bool]:
    """The rules' understanding, and whether the classifier may be asked (the rules said unknown)."""
    t = _SPOKEN_THOUSANDS.sub(_thousands, _words_to_numbers(_THOUSANDS.sub(_thousands, fold(text))))
    # "A loja fechou antes de entregar": a shop that closed, never a "fechou" to the terms.
    t = _CLOSED_PLACE.sub(r"\1 encerrou", t)
    # "Eu tinha pedido pra não mandarem mais mensagem, mas agora quero resolver": the old request is past; what
    # comes after the "mas" is what they ask now. (Without the "mas", it is a complaint and stays one.)
    t = _PAST_OPT_OUT.sub(" ", t).strip()
    if re.search(r"\b[Ii]rm[ãa] [A-ZÁÉÍÓÚÂÊÔ][a-záéíóúâêôãõç]+", text) and not re.search(
        r"\birma (d[oa]|dele|dela)\b", t
    ):
        # "Aqui é a Irmã Lúcia": a nun's title and name, not the titular's sister.
        t = re.sub(r"\birma\b", "religiosa", t)
    # "Aperta, mas eu faço": a yes said with a sigh, not a yes with a condition.
    t = _SIGHED_YES.sub(r"\g<yes>", t)
    if _has(t, _CONDITIONAL):
        # "sim, só se for dia 20; se não, não dá": the else of a condition is not a no to what was asked.
        t = _ELSE_NO.sub("", t).strip()
    down = _down_payment_cents(t)
    count = _installment_count(t)
    amount = _amount_cents(text, t)
    if amount is None and count is None:
        # "1200 então, última oferta": a bare figure offered in haggling is an amount, never a stray number.
        bid = re.match(
            r"^(?:e |entao |ta,? |ok,? |faz |fecha |dou |pago )?(\d{3,6})(?: reais| conto)?,? (?:entao|ultima oferta|"
            r"ultima proposta|e pronto|e fechado|final|a vista|e o maximo|e o que eu tenho)\b",
            t,
        )
        amount = int(bid.group(1)) * 100 if bid else None
    bid_total = (
        amount is not None
        and count is None
        and bool(re.match(r"^(?:e |entao |ta,? |ok,? |dou |pago )?\d", t))
        and bool(re.search(r"\b(ultima oferta|ultima proposta|e pronto|final|e o maximo|e o que eu tenho)\b", t))
    )
    if amount is not None and amount == down:
        amount = None  # the number was the entrada, not a monthly amount
    day = _day(t, today)
    if day is not None and re.search(r"\bdesde\b", t) and not re.search(r"\b(dia \d|pag|vencimento|vence)", t):
        day = None  # "na UTI desde sábado": a day gone by, never a due date
    if count == 2 and re.search(r"\bmetade (agora|hoje|ja)\b", t):
        day = None  # "metade agora e metade mês que vem": the date is the second half's, the first is now
    method: Literal["boleto", "pix"] | None = "pix" if _has(t, _PIX) else "boleto" if _has(t, _BOLETO) else None
    if method == "pix" and re.search(r"\b(nao|n|nunca) (uso|tenho|sei usar|mexo com|faco|gosto de) (o |de )?pix\b", t):
        method = "boleto" if _has(t, _BOLETO) or not _has(t, _PAY_BY_CARD) else None  # "não uso pix": never PIX
    asks_percent, asks_bureau, asks_options = _has(t, _PERCENT_Q), _has(t, _BUREAU_Q), _has(t, _OPTIONS_Q)
    if not asks_options and _has(t, _OPTIONS_WHICH) and count is None and not _has(t, _CASH) and not _has(t, _SETTLE):
        asks_options = True  # "quais são as opções?", but never "quais as condições à vista?"
    worry = worry_of(t)
    weekly_amount = _WEEKLY_AMOUNT.search(t) if _has(t, _WEEKLY) else None
    weekly_cents = int(weekly_amount.group(1) or weekly_amount.group(2)) * 100 if weekly_amount else None
    two = _TWO_COUNTS.search(t)
    compare = (int(two.group(2)), int(two.group(3))) if two and two.group(2) != two.group(3) else None
    asks_about = next((kind for kind, pattern in _TERM_QUESTIONS if _has(t, pattern)), None)
    if asks_about == "interest" and (count is not None or _has(t, _INSTALL)):
        asks_about = None  # "10x tem juros?": that plan's own figures answer it (`asks_interest`)
    asks = (
        asks_about is not None
        or compare is not None
        or asks_percent
        or asks_bureau
        or asks_options
        or _has(t, _MEANING_Q)
        or _has(t, _PRIORITY_Q)
        or _has(t, _FEAR_Q)
    )
    accepts = (
        _has(t, _ACCEPT)
        and not _has(t, _REFUSE_WORDS)
        and not _has(t, _CANT_PAY)
        and not asks
        and not _NOT_CLOSING.search(t)
    )
    tokens = _TOKENS.findall(_SELF_INTRO.sub(" ", t))
    # A yes that names the closing itself ("gloria a deus, pode fechar as 5x", "Ciente. Aceito a proposta no valor
    # informado") is plain however many courtesies come with it; a bare "ok" with other words is asked once more.
    plain = (
        accepts
        and not _has(t, _LAUGHTER)
        and (
            all(w in PLAIN_YES_WORDS or w.isdigit() for w in tokens)
            or (
                _has(t, _EXPLICIT_CLOSE)
                and not _has(t, _CONDITIONAL)
                and "?" not in t
                and not _has(t, _ELSEWHERE)
                and not _has(t, _IRONY)
            )
        )
    )
    # "isso, as 8" with no 8 understood may change the terms; "tá bom, 2100 então" repeats the total shown.
    # Which it is, only the offer can tell (`brain.plain_yes`).
    stray = tuple(int(w) for w in tokens if w.isdigit()) if all(v is None for v in (count, amount, down, day)) else ()
    monthly = _has(t, _MONTHLY)
    # An explicit count or entrada wins over "de uma vez" in the same run-on message.
    settles = amount is not None and _has(t, _SETTLE) and not _has(t, _INSTALL)
    # A last bid ("1200 então, última oferta") is for the whole debt, as the haggling over the cash price was.
    cash = (_has(t, _CASH) or settles or bid_total) and count is None and down is None and not monthly
    inst = count is not None or down is not None or monthly or (_has(t, _INSTALL) and not cash)
    pct = _discount_pct(t)
    if pct is None and _has(t, _FORGIVEN):
        pct = 100

    def u(intent: Intent) -> Understanding:
        return Understanding(
            intent=intent,
            **{name: _has(t, pattern) for name, pattern in _FLAGS},
            installments=count,
            amount_cents=amount,
            day=day,
            payment_method=method,
            accepts=accepts,
            plain=plain,
            relative_died=_RELATIVE_DIED.search(t) is not None
            or (_has(t, _DECEASED_ANY) and re.search(rf"\b(meu|minha) {RELATIVE}", t) is not None),
            down_payment_cents=down,
            discount_pct=pct,
            wants_down=down is not None or _has(t, _ENTRADA),
            wants_cash=cash,
            wants_installments=inst,
            asks_percent=asks_percent,
            asks_bureau=asks_bureau,
            asks_options=asks_options,
            compare=compare,
            stray_numbers=stray,
            data_access=_has(t, _DATA_ACCESS) and not _has(t, _ERASURE),
            weekly_cents=weekly_cents,
            asks_day=_has(t, _ASKS_DAY) and day is None,
            surprise=amount is not None and _has(t, _SURPRISE),
            worry=worry,
            puzzled=bool(t) and _PUZZLED.fullmatch(t) is not None,
            bare_cents=_cents_of(t) if re.fullmatch(r"\d{1,6}(,\d{2})?", t) else None,
            about_another=_has(t, _ANOTHERS_DEBT) and not _has(t, _SPEAKS_FOR),
            asks_interest=_has(t, _INTEREST) and (count is not None or _has(t, _INSTALL)),
            asks_about=asks_about,
            firm_no=_has(t, _FIRM_NO) or _has(t, _FIRM_NO_DEAL),
            no_figures=_has(t, _NO_FIGURES),
            vent_sorry=re.search(_VENT_SORRY, t) is not None,
            how_number=_has(t, _HOW_NUMBER),
            delivery=_has(t, _DELIVERY_Q),
        )

    if not t:
        return u(Intent.unknown), False
    if _has(t, _CRISIS_OF_ANOTHER) and not _has(t, _CRISIS_OF_ONESELF):
        return u(Intent.crisis).model_copy(update={"someone_else": True}), False
    if _has(t, _REPRESENTATIVE):
        return u(Intent.third_party), False  # a lawyer for the debtor: the team checks the power of attorney
    if _has(t, _ARE_YOU_HUMAN):
        return u(Intent.bot_question), False
    if (
        method == "pix"
        and not cash
        and count is amount is down is None
        and re.search(r"\bboleto (nao|n)\b|\bnao (quero |vou )?(de |por |no |o )?boleto\b", t)
    ):
        # "Boleto não. PIX. Não tenho como ir em lotérica": the way to pay chosen, never hardship.
        return u(Intent.payment_method).model_copy(
            update={"accepts": False, "plain": False, "method_trouble": False}
        ), False
    if count is amount is down is None and re.search(
        r"\b(manda|pode mandar|envia|pode enviar|manda entao) (aqui|pra mim|pra ca|neste numero|nesse numero|no meu)"
        r"( (mesmo|msm|memo|zap|whats))?\b",
        t,
    ):
        # "Ah, blz, então manda aqui mesmo que eu encaminho": go on with the terms shown (asked once more).
        return u(Intent.accept).model_copy(update={"accepts": True, "plain": False}), False
    if count is amount is down is None and re.search(
        r"\b(nao|nem) (sabia|lembrava|lembro|fazia ideia) (que|q|dessa|desse|de) (eu )?(tava|estava|to|tinha|divida|"
        r"debito|pendencia)",
        t,
    ):
        # "Meu Deus, eu não sabia que tava devendo": what the debt is, never "não entendi".
        return u(Intent.debt_question).model_copy(update={"accepts": False, "plain": False}), False
    if re.search(_OTHER_INTRO_TEXT, t) and not (
        _has(t, _ASSISTED) or _has(t, _HANDOVER) or _has(t, _DECEASED_ANY) or _has(t, _CRISIS_OF_ANOTHER)
    ):
        # Whoever introduces themselves as the titular's relative or carer speaks for them, whatever else
        # they say ("ele mandou fechar em 5"): a third party, before any yes or terms.
        return u(Intent.third_party).model_copy(update={"accepts": False, "plain": False}), False
    if _has(t, _RELAYED_YES) and count is None and not _has(t, _BACK_IN_PERSON):
        # "Ela tá dizendo que sim": only the titular's own yes closes a deal (`relayed_yes`).
        return u(Intent.unknown).model_copy(update={"accepts": False, "plain": False}), False
    if _has(t, _OTHER_TYPING) and not (_has(t, _ASSISTED) or _has(t, _OTHER_PAYER) or _has(t, _HANDOVER)):
        return u(Intent.third_party).model_copy(update={"accepts": False, "plain": False}), False
    if (
        count is amount is down is None
        and not re.search(r"\d", t)  # before the CPF, digits are the answer, never this question
        and not _has(t, _GOOD_NEWS)
        and (_has(t, _NOT_A_JOB) or _has(t, _WHAT_ABOUT) or _has(t, _SECRETS_Q))
    ):
        # "É sobre a vaga de atendente?", "fala logo o assunto", "vão pedir senha?": who is writing, and that
        # no password or code is ever asked; never a hand-off to a person for the word "atendente".
        return u(Intent.identity_question).model_copy(update={"accepts": False, "plain": False}), False
    if asks_about is not None and amount is down is None and not _has(t, _LATE_Q):
        # "Esse valor é fixo? vai aumentar com os juros?": the question answered, never a breakdown nor a yes.
        return u(Intent.debt_question).model_copy(
            update={"accepts": False, "plain": False, "day": None, "installments": None, "wants_installments": False}
        ), False
    if _has(t, _LATE_Q) and amount is down is None:
        # "E se eu atrasar uma parcela, cancela tudo?": answered, never "passei pra 2x" nor a cancellation.
        return u(Intent.debt_question).model_copy(
            update={"installments": None, "accepts": False, "plain": False, "wants_installments": False}
        ), False
    if _has(t, _WHICH_DEBT) and count is amount is down is None and not _has(t, _CASH):
        # "Que conta de luz? Eu pago a minha em dia": the debt described, never "todo mês" read as a plan.
        return u(Intent.debt_question).model_copy(
            update={"accepts": False, "plain": False, "wants_installments": False, "day": None}
        ), False
    if _has(t, _DUE_Q) and amount is down is None:
        # "À vista então. Vence quando?": the terms chosen, with their own due date (`asks_due`).
        if cash or count is not None:
            return u(Intent.cash if cash else Intent.installments).model_copy(
                update={"accepts": False, "plain": False}
            ), False
        return u(Intent.debt_question).model_copy(update={"accepts": False, "plain": False}), False
    if _has(t, _GUARANTOR) and count is amount is down is None and not _has(t, _CASH):
        return u(Intent.debt_question).model_copy(update={"accepts": False, "plain": False}), False
    if _LOST.search(t) and count is amount is down is None and len(_TOKENS.findall(t)) <= 8:
        # "não intendi nada minha fia": lost, not a no; explained again in plain words.
        return u(Intent.unknown).model_copy(update={"puzzled": True}), False
    if _has(t, _ASSISTED) and not _has(t, _CRISIS_OF_ONESELF) and not _has(t, _DECEASED_ANY):
        # The titular beside a relative who types for them (sight, schooling, age): the titular is the one
        # talking, and answers the CPF question as anyone; never a third party turned away.
        return u(Intent.greeting), False
    if _has(t, _HANDOVER) and not _has(t, _CRISIS_OF_ONESELF):
        # The titular taking the family phone from the relative who answered: never a third party. A shared
        # phone is common, and the titular must not be locked out of their own number; the CPF still decides.
        return u(Intent.greeting), False
    retracted = _RETRACTED.search(t)
    if retracted and retracted.end() < len(t) and _has(t[: retracted.start()], _HUMAN):
        # "quero o gerente... não, pera, esquece. me fala as opções": what they want is what comes after.
        return _rules(t[retracted.end() :].strip(" ,.!"), today)
    for intent, pattern in _ORDERED:
        if intent is Intent.recall and (count is not None or amount is not None or down is not None or cash):
            continue  # "faz em 6x, fica qnt cada?", "à vista fica quanto?": new terms asked, not the old ones recalled
        if _has(t, pattern):
            if intent is Intent.promise and down is not None:
                # "Dou 300 agora e quito o resto quando cair o 13º": an entrada and the rest, terms to build.
                return u(Intent.installments).model_copy(update={"day": None}), False
            if intent is Intent.anger and _has(t, _APOLOGY):
                continue  # "foi mal pelo estresse, ... 4 mil eu não tenho": sorry, then what they need
            if intent is Intent.anger and _has(t, _PAID):
                intent = Intent.already_paid  # "JÁ PAGUEI isso! tenho o comprovante 😤": the claim is what to act on
            elif intent is Intent.anger and _has(t, _LEGAL):
                intent = Intent.legal_threat  # "um absurdo, vou no juizado": recorded as the threat it is
            elif intent is Intent.third_party and _has(t, _PAY_ELSEWHERE):
                intent = Intent.identity_question  # "posso pagar por ele (o link)?": where the money goes
            elif intent is Intent.third_party and _has(t, _OTHER_PAYER):
                # "Ela pode pagar pelo app dela? a conta tá no nome dela": a payer, not a third party.
                return u(Intent.payment_method).model_copy(update={"accepts": False, "plain": False}), False
            elif intent is Intent.human and _has(t, _PAY_ELSEWHERE):
                intent = Intent.identity_question  # "o pix pra chave do atendente?": who receives, not a person
            elif intent is Intent.identity_question and _has(t, _CPF_WHY):
                intent = Intent.cpf_why  # "pq querem meu cpf? golpista tb pede": the question is why the CPF
            return u(intent), False
    if (
        ((_has(t, _FIRM_NO) and count is amount is down is None) or _has(t, _FIRM_NO_DEAL))
        and not accepts
        and not (_has(t, _LATER) or _has(t, _JUST_ASKING) or _has(t, _CRISIS_OF_ONESELF))
    ):
        # "Mesmo assim não cabe... não vou fazer não, obrigada pela atenção": a no with its reason, final.
        return u(Intent.refuse).model_copy(update={"accepts": False, "plain": False}), False
    if _has(t, _ANOTHERS_DEBT) and count is amount is down is None and not cash:
        return u(Intent.third_party), False  # "e a dívida da minha mãe?": declined, never told (`about_another`)
    if _RELATIVE_DIED.search(t):  # "perdi meu pai": a death, whose is for the flow to tell (`relative_died`)
        return u(Intent.deceased), False
    if _has(t, _VIOLENCE):
        return u(Intent.violence), False
    if _has(t, _WEEKLY) and count is None and (weekly_cents is not None or amount is None):
        # "Dá pra ir pagando toda semana uns 40?": a monthly plan that fits what they save each week.
        return u(Intent.debt_question).model_copy(update={"amount_cents": None, "day": None, "accepts": False}), False
    if _has(t, _TOO_MANY) and count is amount is down is None and not _has(t, _OPT_OUT):
        # "Todo santo dia uma mensagem, art. 42": a complaint, answered with an apology (the anger path), no date.
        return u(Intent.anger).model_copy(update={"day": None, "accepts": False, "plain": False}), False
    if _has(t, _DATA_ACCESS) and not _has(t, _ERASURE) and count is amount is down is None:
        return u(Intent.cpf_why), False  # the debtor's data and what is done with it (`data_access`)
    if _has(t, _PAY_BY_CARD):
        return u(Intent.payment_method).model_copy(update={"accepts": False, "plain": False, "worry": None}), False
    if amount is not None and _has(t, _SURPRISE) and count is None:
        # "800 por mês?? tá doida": the total read as the installment; explained, never offered as 2x of 400.
        return u(Intent.unknown).model_copy(update={"amount_cents": None, "accepts": False}), False
    if worry is not None and count is amount is down is None and not cash:
        # The fear answered first (`worries`), then the offers; "a rematrícula fecha sexta" is no date nor yes.
        return u(Intent.debt_question).model_copy(update={"day": None, "accepts": False, "plain": False}), False
    if _has(t, _EXCEPTION) and count is amount is down is None:
        return u(Intent.debt_question).model_copy(update={"asks_best": True, "accepts": False, "plain": False}), False
    if asks or _has(t, _CLAIMED_AUTH) or (_has(t, _BEST_Q) and count is amount is down is None):
        return u(Intent.debt_question), False  # answered with the figure or the rule, then the offers
    if _has(t, _OTHER_PAYER):
        return u(Intent.payment_method).model_copy(update={"accepts": False, "plain": False}), False
    if _has(t, _METHOD_TROUBLE) and not (_has(t, _HARDSHIP) or _has(t, _LATER)) and count is amount is down is None:
        # The method they cannot use is not the one they choose: the flag says which it was.
        return u(Intent.payment_method).model_copy(update={"accepts": False, "plain": False}), False
    if _has(t, _PAY_ELSEWHERE):
        return u(Intent.identity_question), False  # who receives the money: only the company, only its boleto
    if _has(t, _MY_DATA) or _has(t, _DISCRETION_Q):
        return u(Intent.cpf_why), False  # about the debtor's data and privacy: what is said, and to whom
    if _has(t, _RANGE_Q) and count is amount is down is None:
        # "Em quantas vezes posso pagar?": about installments, answered with the span (`asks_range`).
        return u(Intent.installments).model_copy(update={"wants_installments": True, "accepts": False}), False
    if _has(t, _SMALLEST_Q):
        return u(Intent.installments).model_copy(update={"wants_installments": True, "accepts": False}), False
    if _has(t, _ILLNESS) and count is None and amount is None and down is None and not _has(t, _LATER):
        return u(Intent.distress), False  # cared for first; with terms said, it stays hardship below
    if _has(t, _DISTRESS):
        # Said with terms ("tô desesperada, consigo 80 por mês") it is hardship, and the terms are heard.
        terms = any(v is not None for v in (count, amount, down, day, pct)) or cash
        return u(Intent.hardship if terms else Intent.distress), False
    paying = _has(t, _PROMISE) or _has(t, _PAYING)
    if paying and day is not None and count is None and amount is None and down is None:
        return u(Intent.promise), False
    if _has(t, _LATER) and _GO_AHEAD.search(t):
        return u(Intent.greeting), False  # "tô ocupada, mas fala": go ahead, never "depois" (nor the classifier's)
    if _has(t, _LATER):
        if _has(t, _BUSY_ASKS):
            return u(Intent.debt_question), False  # "to no trampo, é rapidinho?": they ask, they don't leave
        # "Te chamo pra fechar quando sair a rescisão": the "fechar" is for later, never a yes now.
        return u(Intent.later).model_copy(update={"accepts": False, "plain": False}), False
    if (
        count is not None
        or down is not None
        or (_has(t, _INSTALL) and not cash)
        or _has(t, _ENTRADA)
        or (monthly and amount is None)
    ):
        return u(Intent.installments), False
    if pct is not None:
        return u(Intent.cash), False
    if _has(t, _HARDSHIP) or _has(t, _WHEN_PAID):
        return u(Intent.hardship), False
    if amount is not None:
        return u(Intent.amount), False
    if cash:
        return u(Intent.cash), False
    if _has(t, _DEBT_Q):
        return u(Intent.debt_question), False
    if _has(t, _REFUSE):
        return u(Intent.refuse), False
    if accepts:
        return u(Intent.accept), False
    if _has(t, _CHANGE):
        return u(Intent.change), False
    if day is not None:
        return u(Intent.pay_date), False  # "pode o primeiro boleto só pra fevereiro?": the date is the ask
    if method is not None:
        return u(Intent.payment_method), False
    if _has(t, _GREETING) or _has(t, _THANKS):
        return u(Intent.greeting), False
    # Digits however typed ("sete nove dois", "1 2 3") are an answer to the CPF question or a
    # number, never an intent: the classifier reads "sete nove dois" as "later".
    return u(Intent.unknown), bool(set(_WORD.findall(t)) - NUMBERISH)


# Words that only spell numbers once `_words_to_numbers` has run ("seis meia nove", "zero zero sete").
NUMBERISH = frozenset({"meia", "zero", "e", "ponto", "traco", "virgula", "barra", "x"})

# Intents that end the negotiation or record an outcome by themselves (no more messages, a dispute,
# a cancelled agreement): the classifier never decides these, the rules must. Measured: it reads
# "quero limpar meu nome" (I want to pay) as opt-out at 0.99, which would silence a willing payer.
ENDINGS = frozenset(
    {
        Intent.crisis,
        Intent.opt_out,
        Intent.wrong_person,
        Intent.deceased,
        Intent.third_party,
        Intent.cancel,
        Intent.dispute,
        Intent.legal_threat,
        Intent.prescription,
    }
)


def _learned_intent(text: str, heard: Understanding) -> Intent:
    """The classifier's intent for a message the rules did not understand, when it is sure.

    It only names the intent: amounts, dates, counts, the method and whether the message accepts
    stay what the rules read (a deal still closes only on the rules' `accepts`). An intent that is
    about a value the rules did not find ("amount" with no amount, "pay_date" with no day) would send
    the flow looking for it, so "não entendi" is the better answer there.
    """
    label, confidence = classifier.classify(text)
    if confidence < classifier.CONFIDENT:
        return Intent.unknown
    try:
        intent = Intent(label)
    except ValueError:
        return Intent.unknown
    if intent is Intent.amount and heard.amount_cents is None:
        return Intent.unknown
    if intent is Intent.pay_date and heard.day is None:
        return Intent.unknown
    if intent is Intent.media or intent in ENDINGS:
        return Intent.unknown
    return intent
