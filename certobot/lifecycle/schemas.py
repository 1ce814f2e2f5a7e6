from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from certokit.fields import Money


class PaymentEvent(BaseModel):
    """The CRM's payment webhook (`POST /webhooks/crm/payments`), as mock_crm/payments sends it."""

    model_config = ConfigDict(extra="ignore")

    event_id: str
    kind: Literal["payment.received"]
    payment_id: str
    agreement_id: str
    session_id: str | None
    phone: str
    debtor_first_name: str
    installment: int
    installments: int
    amount: Money
    applied_amount: Money
    excess_amount: Money
    outcome: Literal["paid", "partial", "overpaid"]
    installment_open_amount: Money
    agreement_status: Literal["active", "paid", "broken", "cancelled"]
    agreement_paid_amount: Money
    agreement_open_amount: Money
    paid_at: datetime


class AgreementSummary(BaseModel):
    """What the operator sees of a conversation's agreement, from the CRM's latest payment notice."""

    agreement_id: str
    status: Literal["active", "paid", "broken", "cancelled"]
    paid_amount: Money
    open_amount: Money
    payments: int
