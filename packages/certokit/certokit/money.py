"""Money: Decimal in, two decimals on the wire, `R$ 1.234,56` for people."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def q(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    return int(q(value) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def brl(value: Decimal | int) -> str:
    """`R$ 1.234,56` (int means cents)."""
    amount = from_cents(value) if isinstance(value, int) else q(value)
    sign = "-" if amount < 0 else ""
    whole, frac = f"{abs(amount):,.2f}".split(".")
    return f"{sign}R$ {whole.replace(',', '.')},{frac}"


def split_installments(total_cents: int, count: int) -> list[int]:
    """`count` amounts that add up to `total_cents` exactly; the first carries the remainder."""
    if count < 1:
        raise ValueError("count must be positive")
    base, rest = divmod(total_cents, count)
    return [base + rest] + [base] * (count - 1)
