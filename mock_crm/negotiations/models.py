from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from certokit.db import UtcDateTime, utcnow
from mock_crm.base import CrmBase
from mock_crm.sealed import SealedDoc


class NegotiationResult(CrmBase):
    """One ConversationOutcome, stored whole; `session_id` makes a second POST a no-op."""

    __tablename__ = "crm_negotiation_results"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("crm_debtors.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    agreed_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    discount_cents: Mapped[int | None] = mapped_column(BigInteger)
    installments: Mapped[int | None] = mapped_column(Integer)
    payment_date: Mapped[date | None] = mapped_column(Date)
    payment_method: Mapped[str | None] = mapped_column(String(10))
    payment_slip_reference: Mapped[str | None] = mapped_column(String(200))
    qualitative_notes: Mapped[str | None] = mapped_column(Text)
    interaction_timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(SealedDoc)  # the outcome whole, CPF included
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
