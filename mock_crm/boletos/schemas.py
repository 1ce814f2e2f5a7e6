from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from certobot.types import Cpf, Money, ShortText


class PaymentAgreement(BaseModel):
    """An agreement to be paid by boleto(s): one per installment, monthly from the first due date."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "debtor_cpf": "111.444.777-35",
                "total_amount": "900.00",
                "installments": 3,
                "first_due_date": "2026-12-05",
                "payment_method": "boleto",
                "session_id": "9b1c4a1e-2f0e-4e55-9f7b-1f2d3c4b5a69",
            }
        },
    )

    debtor_cpf: Cpf
    total_amount: Annotated[Money, Field(gt=0)]
    installments: Annotated[int, Field(ge=1, le=72)]
    first_due_date: date
    payment_method: Literal["boleto", "pix"] = "boleto"
    session_id: Annotated[ShortText, Field(max_length=64)] | None = None
    scheduled_payment_dates: Annotated[list[date], Field(max_length=72)] | None = None
    # An entrada: the first boleto carries it, the rest of the total is split over the others.
    down_payment_amount: Money | None = None


class BoletoOut(BaseModel):
    boleto_id: str
    debtor_cpf: str
    amount: Money
    due_date: date
    installment: int
    installments: int
    barcode: str = Field(description="44 dígitos (FEBRABAN).")
    linha_digitavel: str = Field(description="47 dígitos.")
    linha_digitavel_formatada: str
    pix_copia_e_cola: str
    nosso_numero: str
    pdf_url: str
    status: str
    delivery_status: str | None = None
    created_at: datetime


class BoletoBatch(BaseModel):
    agreement_key: str
    boletos: list[BoletoOut]
