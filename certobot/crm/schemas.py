"""What the bot reads from and sends to the CRM (CONTRACT §3), typed on the bot's side."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

WireMoney = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]


class NegotiationParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    max_discount_percentage: Decimal
    min_payment_amount: Decimal
    max_installments: int


class DebtorInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None  # opaque: what URLs carry instead of the CPF
    cpf: str
    name: str
    phone: str
    debt_amount: Decimal
    due_date: date
    days_past_due: int
    previous_contacts: int = 0
    negotiation_params: NegotiationParams
    debt_kind: str = "outro"
    debt_description: str = "Dívida"
    original_creditor: str = ""
    debt_status: str = "open"
    prescribed: bool = False
    opted_out: bool = False
    last_contact_at: datetime | None = None
    promised_payment_date: date | None = None
    follow_up_date: date | None = None


OutcomeKind = Literal["successful", "partially_successful", "unsuccessful", "no_contact"]
# Why the conversation ended, finer than `outcome` (which keeps the contract's four values): the CRM
# stores it with the outcome and the operator API shows it. Documented in docs/outcomes.md.
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
    session_id: str
    debtor_cpf: str
    outcome: OutcomeKind
    agreed_amount: WireMoney | None = None
    discount_amount: WireMoney | None = None
    installments: int | None = None
    payment_date: date | None = None
    scheduled_payment_dates: list[date] = Field(default_factory=list)
    payment_method: Literal["boleto", "pix"] | None = None
    payment_slip_reference: str | None = None
    qualitative_notes: str | None = None
    interaction_timestamp: datetime
    duration: int = 0
    language: Literal["pt-BR"] = "pt-BR"
    reason: OutcomeReason | None = None
    down_payment_amount: WireMoney | None = None
    replaces_session_id: str | None = None  # a renegotiation: this agreement replaces that one and its boletos


ContactKind = Literal[
    "attempt",
    "opt_out",
    "wrong_number",
    "claimed_payment",
    "payment_promise",
    "handoff",
    "validation_failed",
    "refused",
    "abandoned",
    "dispute",
    "deceased",
    "third_party",
    "legal_threat",
    "follow_up",
    "agreement_cancelled",
]


class ContactRequest(BaseModel):
    kind: ContactKind
    session_id: str | None = None
    promised_date: date | None = None
    notes: str | None = None
