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


def extract_first_digits(text: str, n: int = 3) -> str | None:
    """The first `n` digits the debtor gave: "123", "1 2 3", "123.4", "um dois três", "1-2-3".

    None when the message holds fewer than `n` digits: then it was not an answer to the challenge.
    """
    tokens = re.findall(r"\d|[a-z]+", _fold(text))
    digits = "".join(t if t.isdigit() else WORDS.get(t, "") for t in tokens)
    # Number words like "um" may also be articles ("é um prazer"): only trust words when no digit came.
    if any(t.isdigit() for t in tokens):
        digits = "".join(t for t in tokens if t.isdigit())
    return digits[:n] if len(digits) >= n else None


def matches(answer: str, cpf: str, n: int = 3) -> bool:
    digits = extract_first_digits(answer, n)
    if digits is None:
        return False
    return hmac.compare_digest(digits.encode(), cpf[:n].encode())
