from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    model_validator,
)

from certokit.clock import SAO_PAULO
from certokit.fields import Cpf, Money, ShortText


def _first_due(v: object) -> object:
    """`dueDate` may come as a date or as a datetime; a datetime counts on São Paulo's calendar."""
    if isinstance(v, str) and len(v) > 10:
        try:
            v = datetime.fromisoformat(v)
        except ValueError:
            return v  # pydantic then says, in Portuguese, that it is not a date
    if isinstance(v, datetime):
        try:
            return v.astimezone(SAO_PAULO).date() if v.tzinfo is not None else v.date()
        except OverflowError:
            raise ValueError("data fora do intervalo aceito") from None
    return v


def _names(camel: str, snake: str, *legacy: str) -> AliasChoices:
    # The design's camelCase first (it is what /docs shows), then snake_case, then this CRM's older names.
    return AliasChoices(camel, snake, *legacy)


DESIGN_EXAMPLE: dict[str, JsonValue] = {
    "sessionId": "9b1c4a1e-2f0e-4e55-9f7b-1f2d3c4b5a69",
    "debtorCPF": "111.444.777-35",
    "debtorName": "Maria Aparecida Souza",
    "originalAmount": 1250.0,
    "agreedAmount": 900.0,
    "discountApplied": 350.0,
    "installments": 3,
    "dueDate": "2026-12-05",
    "paymentMethod": "installments",
    "agreementTimestamp": "2026-11-30T14:32:10-03:00",
}
SNAKE_EXAMPLE: dict[str, JsonValue] = {
    "session_id": "5f0c2b7e-8d41-4a7e-9c55-0b3a3f0d2e11",
    "debtor_cpf": "11144477735",
    "debtor_name": "Maria Aparecida Souza",
    "original_amount": "1250.00",
    "agreed_amount": "1000.00",
    "discount_applied": "250.00",
    "installments": 1,
    "due_date": "2026-12-05T12:00:00-03:00",
    "payment_method": "pix",
    "agreement_timestamp": "2026-11-30T14:32:10Z",
}


class PaymentAgreement(BaseModel):
    """The design's PaymentAgreement, as it names it (camelCase) or in snake_case.

    One boleto per installment, monthly from the first due date (`dueDate`). Amounts may be JSON
    numbers or strings, read as exact decimals. The discount is derived (`originalAmount` −
    `agreedAmount`); when `discountApplied` is sent it must match, and the agreed amount may not pass
    the original. `originalAmount` may be left out: the debt's own amount is then the original.
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [DESIGN_EXAMPLE, SNAKE_EXAMPLE]},
    )

    session_id: Annotated[ShortText, Field(max_length=64)] | None = Field(
        default=None, validation_alias=_names("sessionId", "session_id")
    )
    debtor_cpf: Cpf = Field(validation_alias=_names("debtorCPF", "debtor_cpf", "debtorCpf"))
    debtor_name: ShortText | None = Field(default=None, validation_alias=_names("debtorName", "debtor_name"))
    original_amount: Annotated[Money, Field(gt=0)] | None = Field(
        default=None, validation_alias=_names("originalAmount", "original_amount")
    )
    total_amount: Annotated[Money, Field(gt=0)] = Field(
        validation_alias=_names("agreedAmount", "agreed_amount", "total_amount"),
        description="O valor acordado (a soma das parcelas).",
    )
    discount_applied: Money | None = Field(default=None, validation_alias=_names("discountApplied", "discount_applied"))
    installments: Annotated[int, Field(ge=1, le=72)]
    first_due_date: Annotated[date, BeforeValidator(_first_due)] = Field(
        validation_alias=_names("dueDate", "due_date", "first_due_date"),
        description="Primeiro vencimento: data ISO, ou data e hora (vale o dia em São Paulo).",
    )
    payment_method: Literal["boleto", "pix", "installments"] = Field(
        default="boleto", validation_alias=_names("paymentMethod", "payment_method")
    )
    agreement_timestamp: AwareDatetime | None = Field(
        default=None, validation_alias=_names("agreementTimestamp", "agreement_timestamp")
    )
    scheduled_payment_dates: Annotated[list[date], Field(max_length=72)] | None = Field(
        default=None, validation_alias=_names("scheduledPaymentDates", "scheduled_payment_dates")
    )

    # An entrada: the first boleto carries it, the rest of the total is split over the others.
    down_payment_amount: Money | None = Field(
        default=None, validation_alias=_names("downPaymentAmount", "down_payment_amount")
    )

    @model_validator(mode="after")
    def _consistent(self) -> PaymentAgreement:
        problems: list[str] = []
        original, agreed, discount = self.original_amount, self.total_amount, self.discount_applied
        if original is not None and agreed > original:
            problems.append(f"agreedAmount ({agreed:.2f}) é maior que originalAmount ({original:.2f})")
        if discount is not None:
            if original is None:
                problems.append("discountApplied veio sem originalAmount: informe o valor original")
            elif discount != original - agreed:
                problems.append(
                    f"discountApplied ({discount:.2f}) não é originalAmount − agreedAmount ({original - agreed:.2f})"
                )
        if problems:
            raise ValueError("acordo inconsistente: " + "; ".join(problems))
        return self


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
    # What the CRM derived from the agreement: the sum of the boletos, the discount and the schedule.
    agreed_amount: Money | None = None
    original_amount: Money | None = None
    discount_applied: Money | None = None
    scheduled_payment_dates: list[date] = Field(default_factory=list)
