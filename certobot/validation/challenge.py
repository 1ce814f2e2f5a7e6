"""The CPF challenge: the first digits of the CPF, however the debtor types them."""

from __future__ import annotations

import hmac
import re
import unicodedata

WORDS = {
    "zero": "0",
    "um": "1",
    "uma": "1",
    "dois": "2",
    "duas": "2",
    "tres": "3",
    "quatro": "4",
    "cinco": "5",
    "seis": "6",
    "meia": "6",
    "sete": "7",
    "oito": "8",
    "nove": "9",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


# An answer to "the first three digits of your CPF" is short. A story that happens to hold numbers
# ("recebi msg de vcs dia 15... tenho 2 filhos", or thousands of characters) is not one, and must not
# use up an attempt.
MAX_ANSWER_CHARS = 60
MAX_ANSWER_WORDS = 8


def extract_first_digits(text: str, n: int = 3) -> str | None:
    """The first `n` digits the debtor gave: "123", "1 2 3", "123.4", "um dois três", "1-2-3".

    None when the message is not an answer to the challenge: fewer than `n` digits, the digits
    scattered in a sentence (a date here, a count there), or a message too long to be an answer.
    """
    # "os 3 primeiros são 184": the 3 names the question, not the answer.
    folded = re.sub(r"\b(3|tres)\s+(primeiros|digitos|numeros|primeiras)\b", " ", _fold(text)).strip()
    if len(folded) > MAX_ANSWER_CHARS or _NOT_THE_FIRST.search(folded):
        return None  # "os três últimos são 214": the wrong end of the CPF, asked again, never an attempt
    tokens = re.findall(r"\d|[a-z]+", folded)
    words = [t for t in tokens if not t.isdigit()]
    if any(t.isdigit() for t in tokens):
        # The answer is one group of digits (spaces, dots and dashes allowed inside it).
        raw = re.findall(r"\d(?:[\s.\-/]*\d)*", folded)
        groups = [re.sub(r"\D", "", g) for g in raw]
        first = groups[0]
        if len(first) < n or len(words) > MAX_ANSWER_WORDS or _looks_like_money(raw[0], folded, n):
            return None
        return first[:n]
    # Number words like "um" may also be articles ("é um prazer"): trust them only when they are
    # most of a short message.
    spoken = [WORDS[t] for t in tokens if t in WORDS]
    tail = _SPOKEN_TAIL.search(folded)
    if tail is not None:
        # "aff q burocracia. ta bom: dois oito quatro": the answer said last, after what they felt.
        return "".join(WORDS[w] for w in tail.group(1).split())[:n]
    if len(spoken) < n or len(spoken) * 2 < len(tokens):
        return None
    return "".join(spoken)[:n]


_NOT_THE_FIRST = re.compile(r"\b(ultimos|ultimas|finais|final|termina|terminam|do meio)\b")
_DIGIT_WORD = "(?:zero|um|uma|dois|duas|tres|quatro|cinco|seis|meia|sete|oito|nove)"
_SPOKEN_TAIL = re.compile(rf"(?:^|[:.,!]\s*|\be\s|\bsao\s|\bcomeca com\s)((?:{_DIGIT_WORD}\s+){{2}}{_DIGIT_WORD})\W*$")


def _looks_like_money(group: str, folded: str, n: int) -> bool:
    """ "1500", "1.500", "R$ 800": an amount typed before the CPF, which must not use up an attempt.

    A CPF's start is `n` digits, or all eleven, or runs of `n` split by dots ("123.456"), or single
    digits spaced out ("1 2 3"). A run of four to ten digits, or a short run before a dot
    ("1.500"), is how people write money.
    """
    if re.search(r"r\$|\breais\b|\bconto\b|\bpila\b", folded):
        return True
    runs = re.findall(r"\d+", group)
    if len(runs) == 1:
        return n < len(runs[0]) < 11
    return 1 < len(runs[0]) < n or (len(runs[0]) == 1 and len(runs[1]) == n and "." in group)


# "o meu cpf é 4 4 4", "meu cpf começa com 496": the digits named as the CPF's, wherever they sit in a
# message (a voice note typed out runs long). Only a group that follows the word CPF closely counts.
_NAMED = re.compile(
    # "cpf", then at most three words that are not someone else's ("do meu marido", "dele") nor "termina",
    # then a group of at least three digits: "meu cpf é 444", "o cpf comesa com 541".
    r"\bcpf\b((?:\s+(?!d[oa]\b|dele\b|dela\b|termina|final)[a-z:]+){0,3})\W*((?:\d[\s.\-]*){3,})"
)

# "Tá bom. Começa com 294. Agora me diga o CNPJ": the answer inside a longer message, named by how a CPF
# is read out ("começa com", "os primeiros são"), even without the word CPF.
_STARTS_WITH = re.compile(
    r"\b(?:comeca|comecam|inicia|iniciam|primeiros(?: (?:digitos|numeros))?(?: (?:sao|e|eh))?)(?: com| por)?\W*"
    r"((?:\d[\s.\-]*){3,})"
)

# "kkkk tava testando se vc confirmava. é 4 6 9": the answer said last, after "é" or a stop.
_TRAILING = re.compile(r"(?:(?<!\d)[.:!,]\s*|\b(?:e|eh|sao|seria|na verdade e|o certo e)\s+)((?:\d[\s.\-]*){2}\d)\W*$")

_MONEY_WORDS = re.compile(r"\b(valor|devo|deve|devia|paguei|pago|pagar|parcela|divida|conta|total|mil|boleto)\b")

_LEADING = re.compile(
    r"\s*(\d{3})[\s,.;!-]+(?!x\b|vezes|parcela|reais|real|conto|pila|mil|k\b|a vista|por mes|de entrada|no mes|dias)"
    r"[a-z]"
)
_FORMATTED = re.compile(r"(?<![\d.])(\d{3})\.\d{3}\.\d{3}-\d{2}(?![\d-])")
_MINE_JUST_BEFORE = re.compile(r"\b(o meu|meu cpf|o meu cpf|o certo|o correto)( (e|eh|ta|seria))?\W*$")
_SOMEONE_ELSES = re.compile(r"\b(d[oa] (meu|minha|seu|sua)|dele|dela|marido|esposa|mae|pai|filh[oa])\b")


def named_first_digits(text: str, n: int = 3) -> str | None:
    """The first `n` digits of a group the debtor names as their CPF's ("meu cpf começa com 496")."""
    # "começa com dois oito quatro": the words are digits here (the group must follow the word CPF).
    folded = re.sub(r"\b[a-z]+\b", lambda w: WORDS.get(w.group(0), w.group(0)), _fold(text))
    m = _NAMED.search(folded) or _STARTS_WITH.search(folded)
    if m is None:
        # "438 pode fechar a vista": three digits first, then the request; an answer, unless they are money.
        lead = _LEADING.match(folded)
        if lead is not None and not _looks_like_money(lead.group(1), folded, n):
            return lead.group(1)[:n]
        last = _TRAILING.search(folded)
        if (
            last is not None
            and not _looks_like_money(last.group(1), folded, n)
            and not _MONEY_WORDS.search(folded)
            and not _SOMEONE_ELSES.search(folded)
            and not _NOT_THE_FIRST.search(folded)
        ):
            return re.sub(r"\D", "", last.group(1))[:n]
        # A whole CPF written as one ("o meu é 444.109.055-20") names itself, unless it is someone else's.
        whole = _FORMATTED.search(folded)
        if whole is None:
            return None
        before = folded[max(0, whole.start() - 25) : whole.start()]
        if _SOMEONE_ELSES.search(before) and not _MINE_JUST_BEFORE.search(before):
            return None
        return whole.group(1)[:n]
    digits = re.sub(r"\D", "", m.group(m.lastindex or 1))
    return digits[:n] if len(digits) >= n else None


def matches(answer: str, cpf: str, n: int = 3) -> bool:
    digits = extract_first_digits(answer, n)
    return digits is not None and matches_digits(digits, cpf, n)


def matches_digits(digits: str, cpf: str, n: int = 3) -> bool:
    return len(digits) >= n and hmac.compare_digest(digits[:n].encode(), cpf[:n].encode())
