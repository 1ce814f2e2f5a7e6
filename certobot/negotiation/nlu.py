"""Understanding colloquial Brazilian Portuguese well enough to negotiate: intents and the numbers in them.

Deterministic and fast: the offline engine runs on it, and the flow uses it to catch what must be
handled the same way whatever model is on (opt-out, wrong person, a request for a person).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from certokit.clock import add_months


class Intent(StrEnum):
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
    unknown = "unknown"


class Understanding(BaseModel):
    intent: Intent
    installments: int | None = None
    amount_cents: int | None = None
    day: date | None = None
    payment_method: Literal["boleto", "pix"] | None = None
    accepts: bool = False  # an acceptance word is present, whatever the main intent


NUMBER_WORDS = {
    "um": 1,
    "uma": 1,
    "dois": 2,
    "duas": 2,
    "tres": 3,
    "quatro": 4,
    "cinco": 5,
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
    "mil": 1000,
}
WEEKDAYS = {"segunda": 0, "terca": 1, "quarta": 2, "quinta": 3, "sexta": 4, "sabado": 5, "domingo": 6}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip()


def _words_to_numbers(t: str) -> str:
    """'vinte e cinco' → '25', 'seis' → '6' (small numbers, as people type them)."""
    names = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))

    def repl(m: re.Match[str]) -> str:
        total = 0
        for w in re.findall(names, m.group(0)):
            v = NUMBER_WORDS[w]
            total = total * v if v == 1000 and total else total + v
        return str(total)

    return re.sub(rf"\b(?:{names})(?:\s+e\s+(?:{names}))*\b", repl, t)


def _has(t: str, *patterns: str) -> bool:
    return any(re.search(p, t) for p in patterns)


OPT_OUT = (
    r"\bnao quero (mais )?(contato|mensage)",
    r"\bsair da lista\b",
    r"^(parar|pare|sair|stop|cancelar|descadastrar)\W*$",
    r"\bn[a-z]o (me )?(mand|envi)[a-z]* mais\b",
    r"\bpar[ae] de (me )?(mandar|enviar|encher|ligar)",
    r"\bnao quero (mais )?receber",
    r"\bdescadastr",
    r"\bme (tira|tire|remov[ae]) (da|dessa) lista",
    r"\bbloque(ar|ia|ei)",
)
WRONG = (
    r"\bnao tem (nenhum|nenhuma|ninguem)\b",
    r"\bnumero errado\b",
    r"\bnao sou (eu|ele|ela|o|a)\b",
    r"\bnumero errado\b",
    r"\bengano\b",
    r"\bnao conheco\b",
    r"\bnao e (meu|minha|comigo)\b",
    r"\besse (numero|telefone) (nao e|e) d",
    r"\bnunca ouvi falar\b",
    r"\bpessoa errada\b",
    r"\bnao tem ningu[eé]m com esse nome\b",
    r"\bcomprei esse (chip|numero)\b",
)
HUMAN = (
    r"\bme liga\b",
    r"\balguem da empresa\b",
    r"\batendente\b",
    r"\bfalar com (uma |um |1 |alguma |algum )?(pessoa|humano|gente|alguem|atendente|operador)",
    r"\bhumano\b",
    r"\boperador[a]?\b",
    r"\b(pessoa|alguem|gente) de verdade\b",
    r"\bquero (um|uma|1) pessoa\b",
)
BOT = (
    r"\b(e|eh) (um |1 )?robo\b",
    r"\bautomatic[oa]\s*\?",
    r"\b(vc|voce|tu) (e|eh) (um |uma |1 )?(robo|bot|maquina|ia)\b",
    r"\be (um )?(robo|bot)\b",
    r"\b(robo|bot|robozinho|inteligencia artificial)\s*\?",
    r"\bfalando com (um |uma )?(robo|maquina|bot)",
)
IDENTITY = (
    r"\bgolpe\b",
    r"\bgolpista",
    r"\bquem (e|eh|fala|ta falando|esta falando)\b",
    r"\bque empresa\b",
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
HARDSHIP = (
    r"\bmandad[oa] embora\b",
    r"\bdemitid[oa]\b",
    r"\bnecessidade\b",
    r"\bta osso\b",
    r"\bpassando fome\b",
    r"\bdesempregad",
    r"\bsem (grana|dinheiro|trabalho|emprego|condic|renda)",
    r"\bdificil\b",
    r"\bapertad",
    r"\bnao tenho (como|dinheiro|condic|esse valor|grana)",
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
)
INSTALL = (
    r"\b\d{1,2}\s*(x|vezes|parcelas?|prestac)",
    r"\bparcel",
    r"\bdividi",
    r"\bem quantas vezes\b",
    r"\bprestac",
    r"\bpor mes\b.*\bvezes\b",
)
CASH = (
    r"\ba vista\b",
    r"\bde (uma|1) vez\b",
    r"\btudo de (uma|1) vez\b",
    r"\bpagamento unico\b",
    r"\bquitar (tudo|hoje|agora)\b",
    r"\bpagar tudo\b",
    r"\bnum pagamento so\b",
)
ACCEPT = (
    r"\bfecha(mos|r|do)?\b",
    r"\baceit(o|ar|amos|ei)\b",
    r"^(sim|s|ss|si|isso|ok|okay|blz|beleza|fechou|fechado|bora|show|claro|pode|perfeito|combinado|certo|top|uhum|aham)\b",
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
    r"^(nao|n|nop|nem|jamais|nunca)\b",
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
)
GREETING = (r"^(oi+|ola|opa|e ai|eai|bom dia|boa tarde|boa noite|salve|oie|alo|hello|hi)\b",)
DEBT_Q = (
    r"\bcobranca\b.*\?",
    r"\btotal da divida\b",
    r"\bde que (e|eh)\b",
    r"\bquanto (eu )?(devo|to devendo|estou devendo|e a divida|fica)\b",
    r"\bqual (e )?(o )?valor\b",
    r"\bque divida\b",
    r"\bdivida de que\b",
    r"\bde onde (e|vem) (essa|isso)\b",
    r"\bque conta\b",
    r"\bdo que se trata\b",
    r"\bque historia\b",
    r"\bqual divida\b",
)
METHOD_PIX = (r"\bpix\b",)
METHOD_BOLETO = (r"\bboleto\b",)


def _installment_count(t: str) -> int | None:
    m = re.search(r"\b(\d{1,2})\s*(x|vezes|parcelas?|prestac\w*)\b", t) or re.search(r"\bem (\d{1,2}) meses\b", t)
    if m:
        return int(m.group(1))
    m = re.search(r"\bem (\d{1,2})\b", t)
    if m and _has(t, r"parcel", r"dividi", r"vezes"):
        return int(m.group(1))
    return None


def _amount_cents(original: str, t: str) -> int | None:
    """'R$ 1.200,00', '200 reais', 'uns 50 conto', '150/mês' → cents."""
    m = re.search(r"r\$\s*(\d{1,3}(?:\.\d{3})*(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)", t)
    if not m:
        m = re.search(
            r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)\s*(reais|real|conto|pila|mango|contos|por mes|/mes|mensal)",  # noqa: E501 (one regex)
            t,
        )
    if not m:
        m = re.search(
            r"\b(?:consigo|posso|da pra|dou|pago|tenho)\s+(?:uns |umas |ate |so |tipo )?(\d{2,6}(?:,\d{1,2})?)\b", t
        )
        if m and re.search(rf"{re.escape(m.group(1))}\s*(x|vezes|parcelas?)", t):
            m = None
    if not m:
        return None
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
    m = re.search(r"\bdia (\d{1,2})\b", t)
    if m and 1 <= int(m.group(1)) <= 31:
        day = int(m.group(1))
        for months in (0, 1, 2):
            base = add_months(today.replace(day=1), months)
            try:
                when = base.replace(day=day)
            except ValueError:
                continue
            if when > today:
                return when
        return None
    if "depois de amanha" in t:
        return today + timedelta(days=2)
    if re.search(r"\bamanha\b", t):
        return today + timedelta(days=1)
    if "semana que vem" in t or "proxima semana" in t:
        return today + timedelta(days=7)
    if "mes que vem" in t or "proximo mes" in t:
        return add_months(today, 1)
    for name, wd in WEEKDAYS.items():
        if re.search(rf"\b{name}(-feira)?\b", t):
            return today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1)
    return None


def understand(text: str, today: date) -> Understanding:
    t = _words_to_numbers(fold(text))
    count = _installment_count(t)
    amount = _amount_cents(text, t)
    day = _day(t, today)
    method: Literal["boleto", "pix"] | None = (
        "pix" if _has(t, *METHOD_PIX) else "boleto" if _has(t, *METHOD_BOLETO) else None
    )
    accepts = _has(t, *ACCEPT) and not _has(t, *REFUSE[1:])

    def u(intent: Intent) -> Understanding:
        return Understanding(
            intent=intent, installments=count, amount_cents=amount, day=day, payment_method=method, accepts=accepts
        )

    if not t:
        return u(Intent.unknown)
    ordered: list[tuple[Intent, tuple[str, ...]]] = [
        (Intent.opt_out, OPT_OUT),
        (Intent.wrong_person, WRONG),
        (Intent.human, HUMAN),
        (Intent.bot_question, BOT),
        (Intent.identity_question, IDENTITY),
        (Intent.already_paid, PAID),
    ]
    for intent, patterns in ordered:
        if _has(t, *patterns):
            return u(intent)
    paying = _has(t, *PROMISE) or _has(t, r"\b(eu )?(pago|vou acertar|acerto|quito)\b")
    if paying and day is not None and count is None and amount is None:
        return u(Intent.promise)
    if count is not None or (_has(t, *INSTALL) and not _has(t, *CASH)):
        return u(Intent.installments)
    if _has(t, *HARDSHIP) or _has(t, r"\b(assim que|quando) (eu )?receber\b"):
        return u(Intent.hardship)
    if amount is not None:
        return u(Intent.amount)
    if _has(t, *CASH):
        return u(Intent.cash)
    if _has(t, *DEBT_Q):
        return u(Intent.debt_question)
    if _has(t, *REFUSE):
        return u(Intent.refuse)
    if accepts:
        return u(Intent.accept)
    if method is not None:
        return u(Intent.payment_method)
    if day is not None:
        return u(Intent.pay_date)
    if _has(t, *GREETING):
        return u(Intent.greeting)
    return u(Intent.unknown)
