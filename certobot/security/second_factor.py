"""A second factor for high amounts: the month the debt fell due, which the debtor knows and a guesser
holding only the phone does not (12 more possibilities on top of the 1,000 of the digits)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

MONTHS = {
    "janeiro": 1,
    "fevereiro": 2,
    "marco": 3,
    "abril": 4,
    "maio": 5,
    "junho": 6,
    "julho": 7,
    "agosto": 8,
    "setembro": 9,
    "outubro": 10,
    "novembro": 11,
    "dezembro": 12,
}
SHORT = {name[:3]: n for name, n in MONTHS.items()}


def needs_second_factor(amount: Decimal, threshold: Decimal | None) -> bool:
    return threshold is not None and amount >= threshold


def parse_month(text: str) -> int | None:
    """ "março", "Marco", "mar", "3", "03", "mês 3" → 3; None when no single month is named."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    words = re.findall(r"[a-z]+", folded)
    found = {MONTHS[w] for w in words if w in MONTHS} | {SHORT[w] for w in words if w in SHORT}
    found |= {int(d) for d in re.findall(r"(?<!\d)(\d{1,2})(?!\d)", folded) if 1 <= int(d) <= 12}
    return found.pop() if len(found) == 1 else None
