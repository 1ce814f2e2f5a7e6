from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from certokit.db import UtcDateTime, utcnow
from mock_crm.base import CrmBase
from mock_crm.sealed import SealedDoc


class Payment(CrmBase):
    """A payment as the bank reported it; `payment_id` (the bank's id) makes a repeat a no-op.

    `applied_cents` is what went to the installment, `excess_cents` what was over it (to refund);
    a payment that cannot be applied (cancelled boleto, installment already paid) is kept whole as
    an anomaly, so money that arrived is never lost and never receipted twice.
    """

    __tablename__ = "crm_payments"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    boleto_id: Mapped[str] = mapped_column(ForeignKey("crm_boletos.id", ondelete="CASCADE"), index=True)
    agreement_key: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # boleto, pix
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    applied_cents: Mapped[int] = mapped_column(BigInteger)
    excess_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # paid, partial, overpaid, anomaly
    outcome: Mapped[str] = mapped_column(String(12))
    anomaly: Mapped[str | None] = mapped_column(String(40))
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PaymentNotification(CrmBase):
    """Outbox of signed webhooks to the bot: written with the payment, delivered one row per commit."""

    __tablename__ = "crm_payment_notifications"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(SealedDoc)  # carries the debtor's phone
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
