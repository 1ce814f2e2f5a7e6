from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from certokit.fields import Cpf, Money

AgreementStatus = Literal["active", "paid", "broken", "cancelled"]
InstallmentStatus = Literal["open", "paid", "overdue", "cancelled"]

# Stored as the code; told to people in Portuguese.
ANOMALY_PT = {
    "boleto_cancelado": "Pagamento de boleto cancelado: valor registrado para devolução, parcela não alterada.",
    "parcela_ja_paga": "Parcela já estava paga: valor registrado como excedente para devolução.",
}


class PaymentOut(BaseModel):
    payment_id: str = Field(description="O identificador do banco ou PSP.")
    boleto_id: str
    agreement_id: str
    installment: int
    installments: int
    channel: Literal["boleto", "pix"]
    amount: Money = Field(description="O valor recebido.")
    applied_amount: Money = Field(description="O que foi abatido da parcela.")
    excess_amount: Money = Field(description="O que passou da parcela (a devolver).")
    outcome: Literal["paid", "partial", "overpaid", "anomaly"]
    anomaly: str | None = Field(default=None, description="Por que o pagamento não foi abatido, em português.")
    installment_status: Literal["open", "paid", "overdue", "cancelled"]
    agreement_status: AgreementStatus
    paid_at: datetime
    recorded_at: datetime


class InstallmentOut(BaseModel):
    boleto_id: str
    installment: int
    amount: Money
    paid_amount: Money
    open_amount: Money
    due_date: date
    status: InstallmentStatus


class AgreementOut(BaseModel):
    agreement_id: str
    session_id: str | None
    debtor_id: int = Field(description="Identificador interno do devedor (o CPF não é repetido aqui).")
    debtor_name: str
    debtor_phone: str = Field(description="E.164; para os lembretes no WhatsApp.")
    debtor_opted_out: bool
    status: AgreementStatus
    total_amount: Money
    paid_amount: Money
    open_amount: Money
    installments: list[InstallmentOut]
    payments: list[PaymentOut]
    created_at: datetime
    closed_at: datetime | None


class AgreementSearch(BaseModel):
    """The agreements' filters. The CPF only here, in a POST body: it never goes in a URL or a log."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "paid", "broken", "cancelled"] | None = None
    session_id: Annotated[str | None, Field(max_length=64)] = None
    debtor_id: Annotated[int | None, Field(ge=1, le=2**62)] = None
    debtor_cpf: Cpf | None = None
    due_from: date | None = Field(default=None, description="Alguma parcela vence a partir desta data.")
    due_to: date | None = Field(default=None, description="Alguma parcela vence até esta data.")
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    offset: Annotated[int, Field(ge=0, le=10_000_000)] = 0  # bounded: a 64-bit column, never a 500


class AgreementPage(BaseModel):
    items: list[AgreementOut]
    limit: int
    offset: int


PromiseKind = Literal["payment_promise", "follow_up"]


class PromiseOut(BaseModel):
    """A promise made in a conversation: to pay on a date, or to talk again on a date."""

    kind: PromiseKind = "payment_promise"
    promise_id: int
    session_id: str | None
    debtor_name: str
    debtor_phone: str
    debtor_opted_out: bool
    promised_date: date
    kept: bool = Field(description="Pagou (ou fechou um acordo) depois da promessa.")
