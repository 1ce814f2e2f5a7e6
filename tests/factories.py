"""Small factories: build what a test needs through the same paths the product uses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from certokit.clock import today_sp
from certokit.cpf import cpf_check_digits

_counter = 0


def make_cpf(seed: int | None = None) -> str:
    global _counter
    _counter += 1
    n = seed if seed is not None else 100_000_000 + _counter * 7919
    first9 = f"{n % 10**9:09d}"
    return first9 + cpf_check_digits(first9)


def make_phone(seed: int | None = None) -> str:
    global _counter
    _counter += 1
    n = seed if seed is not None else _counter
    return f"+55119{8000_0000 + n % 1000_0000:08d}"


def debtor_payload(
    *,
    cpf: str | None = None,
    phone: str | None = None,
    name: str = "Maria da Conceição",
    debt: str = "1000.00",
    days_past_due: int = 200,
    max_discount: str = "30.00",
    min_payment: str = "50.00",
    max_installments: int = 10,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "cpf": cpf or make_cpf(),
        "name": name,
        "phone": phone or make_phone(),
        "debt_amount": debt,
        "due_date": (today_sp() - timedelta(days=days_past_due)).isoformat(),
        "debt_kind": "cartao_credito",
        "negotiation_params": {
            "max_discount_percentage": max_discount,
            "min_payment_amount": min_payment,
            "max_installments": max_installments,
        },
        **extra,
    }


async def create_debtor(crm: httpx.AsyncClient, **kwargs: Any) -> dict[str, Any]:
    r = await crm.post("/api/debtors", json=debtor_payload(**kwargs))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def money(value: str) -> Decimal:
    return Decimal(value)


def day_ahead(days: int) -> int:
    """The day of the month `days` from today in São Paulo, as a debtor names a date ("dia 12"):
    never a fixed number, which one day would be today, or the very date the bot offered."""
    return (today_sp() + timedelta(days=days)).day
