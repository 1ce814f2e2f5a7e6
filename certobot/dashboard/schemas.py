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


class Filters(BaseModel):
    creditors: list[str] = Field(description="Credores da carteira do CRM.")
    segments: list[str] = Field(description="Nomes dos segmentos usados em campanhas.")


class Summary(BaseModel):
    start: date = Field(description="Primeiro dia do período (America/Sao_Paulo).")
    end: date = Field(description="Último dia do período, incluído.")
    creditor: str | None = Field(default=None, description="Só os devedores desse credor, se filtrado.")
    segment: str | None = Field(default=None, description="Só as conversas das campanhas desse segmento, se filtrado.")
    contacted: int = Field(description="Devedores (CPFs distintos) com conversa iniciada no período.")
    answered: int
    identity_confirmed: int
    agreements: int
    amount_negotiated: Decimal = Field(description="Soma dos acordos fechados, em reais.")
    amount_recovered: Decimal = Field(
        default=Decimal("0"),
        description="Pagamentos recebidos pelo CRM no período (parte abatida da dívida), em reais.",
    )
    handoffs: int = Field(description="Conversas do período que passaram por um atendente.")
    opt_outs: int
    median_first_response_seconds: Decimal | None = Field(
        description="Mediana do tempo entre a primeira mensagem do devedor e a primeira resposta."
    )
    median_reply_seconds: Decimal | None = Field(
        default=None, description="Mediana do tempo entre cada mensagem do devedor e a resposta seguinte."
    )
    median_debtor_reply_seconds: Decimal | None = Field(
        default=None, description="Mediana do tempo entre a primeira mensagem enviada e a primeira resposta do devedor."
    )
    funnel: list[Step]
