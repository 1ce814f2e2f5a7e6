from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from certobot.base import BotBase
from certobot.sealed import SealedDoc
from certokit.db import UtcDateTime, utcnow


class PaymentNotice(BotBase):
    """A payment webhook from the CRM, kept once per `event_id` (the CRM retries; we answer once)."""

    __tablename__ = "payment_notices"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agreement_key: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(SealedDoc)  # carries the debtor's phone
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgreementReminder(BotBase):
    """A reminder, follow-up or break decided for one installment; the unique key makes it once only."""

    __tablename__ = "agreement_reminders"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    agreement_key: Mapped[str] = mapped_column(String(64), index=True)
    boleto_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))  # before, due, followup, broken
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
