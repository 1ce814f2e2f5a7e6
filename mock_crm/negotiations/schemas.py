from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from certokit.fields import Cpf, LongText, Money, ShortText

OutcomeKind = Literal["successful", "partially_successful", "unsuccessful", "no_contact"]
# Why the conversation ended, finer than `outcome` (README, docs/outcomes.md).
OutcomeReason = Literal[
    "agreement",
    "renegotiated",
    "agreement_cancelled",
    "refused",
    "claimed_paid",
    "payment_promise",
    "follow_up",
    "opt_out",
    "wrong_number",
    "validation_failed",
    "timeout",
    "dispute",
    "deceased",
    "third_party",
    "legal_threat",
    "debt_paid",
    "debt_prescribed",
    "debt_disputed",
]


class ConversationOutcome(BaseModel):
    """What the bot reports when a conversation ends (CONTRACT §3)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "session_id": "9b1c4a1e-2f0e-4e55-9f7b-1f2d3c4b5a69",
                "debtor_cpf": "11144477735",
                "outcome": "successful",
                "agreed_amount": "900.00",
                "discount_amount": "100.00",
                "installments": 3,
                "payment_date": "2026-12-05",
                "scheduled_payment_dates": ["2026-12-05", "2027-01-05", "2027-02-05"],
                "payment_method": "boleto",
                "payment_slip_reference": None,
                "qualitative_notes": "Desempregada; preferiu parcelar em 3x.",
                "interaction_timestamp": "2026-11-22T14:03:00Z",
                "duration": 312,
                "language": "pt-BR",
            }
        },
    )

    session_id: Annotated[ShortText, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    debtor_cpf: Cpf
    outcome: OutcomeKind
    agreed_amount: Money | None = None
    discount_amount: Money | None = None
    installments: Annotated[int, Field(ge=1, le=72)] | None = None
    payment_date: date | None = None
    scheduled_payment_dates: Annotated[list[date], Field(max_length=72)] = Field(default_factory=list)
    payment_method: Literal["boleto", "pix"] | None = None
    payment_slip_reference: ShortText | None = None
    qualitative_notes: LongText | None = None
    interaction_timestamp: datetime
    duration: Annotated[int, Field(ge=0, le=30 * 86400)] = 0
    language: Literal["pt-BR"] = "pt-BR"
    reason: OutcomeReason | None = None
    down_payment_amount: Money | None = None
    replaces_session_id: Annotated[ShortText, Field(max_length=64)] | None = None

    @model_validator(mode="after")
    def _agreement_is_whole(self) -> ConversationOutcome:
        agreed = self.outcome in ("successful", "partially_successful") and self.agreed_amount is not None
        if agreed and (not self.installments or self.payment_date is None):
            raise ValueError("um acordo precisa de installments e payment_date")
        if self.interaction_timestamp.tzinfo is None:
            raise ValueError("interaction_timestamp precisa de fuso horário (ex.: 2026-11-22T14:03:00Z)")
        return self


class BoletoRef(BaseModel):
    boleto_id: str
    installment: int
    installments: int
    amount: Money
    due_date: date
    status: str
    pdf_url: str


class StoredOutcome(ConversationOutcome):
    model_config = ConfigDict(extra="ignore")

    boletos: list[BoletoRef] = Field(default_factory=list)
    created_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: Literal["agreement_cancelled", "renegotiated"] | None = None
