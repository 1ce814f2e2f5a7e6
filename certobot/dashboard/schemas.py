from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class Step(BaseModel):
    key: str
    label: str
    count: int
    rate: Decimal | None = Field(
        description="Fração do passo anterior (0 a 1), com 4 casas; nula se o anterior é zero."
    )


class Summary(BaseModel):
    start: date = Field(description="Primeiro dia do período (America/Sao_Paulo).")
    end: date = Field(description="Último dia do período, incluído.")
    contacted: int = Field(description="Devedores (CPFs distintos) com conversa iniciada no período.")
    answered: int
    identity_confirmed: int
    agreements: int
    amount_negotiated: Decimal = Field(description="Soma dos acordos fechados, em reais.")
    handoffs: int = Field(description="Conversas do período que passaram por um atendente.")
    opt_outs: int
    median_first_response_seconds: Decimal | None = Field(
        description="Mediana do tempo entre a primeira mensagem do devedor e a primeira resposta."
    )
    funnel: list[Step]
