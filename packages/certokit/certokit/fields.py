"""Field types shared by both services' schemas: safe text, CPF, phone, money."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

from certokit.cpf import normalize_cpf
from certokit.money import q
from certokit.phones import to_e164


def _no_nul(v: str) -> str:
    if "\x00" in v:
        raise ValueError("texto com caractere nulo (\\0) não é aceito")
    return v


def _cpf(v: str) -> str:
    cpf = normalize_cpf(v)
    if cpf is None:
        raise ValueError("CPF inválido: informe 11 dígitos com dígitos verificadores corretos")
    return cpf


def _phone(v: str) -> str:
    e164 = to_e164(v)
    if e164 is None:
        raise ValueError("telefone inválido: informe um celular brasileiro, por exemplo +5511987654321")
    return e164


def _money(v: Decimal) -> Decimal:
    if v != v.quantize(Decimal("0.01")):
        raise ValueError("use no máximo duas casas decimais")
    return q(v)


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_no_nul)]
LongText = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_no_nul)]
Cpf = Annotated[str, StringConstraints(max_length=20), AfterValidator(_cpf)]
Phone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_phone)]
# Money: exact Decimal in, a string with two decimals out ("1234.50"), never a float.
Money = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("100000000"), allow_inf_nan=False),
    AfterValidator(_money),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
# Percentages with two decimals ("30.00"), exact.
Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, allow_inf_nan=False),
    AfterValidator(_money),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
