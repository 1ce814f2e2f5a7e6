"""The stored policies. Percentages in basis points (hundredths of a percent): exact integers on
Postgres and SQLite alike, so 12,5 % is 1250 and never 12.4999."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certobot.base import BotBase
from certokit.db import UtcDateTime, utcnow

BigInt = BigInteger().with_variant(Integer, "sqlite")


class PolicyRow(BotBase):
    __tablename__ = "negotiation_policies"
    __table_args__ = (UniqueConstraint("creditor", "segment"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    creditor: Mapped[str] = mapped_column(String(120))  # as the CRM names it; "*" for every creditor
    segment: Mapped[str] = mapped_column(String(40))  # "todos" for every debt
    days_min: Mapped[int] = mapped_column(Integer, default=0)
    days_max: Mapped[int | None] = mapped_column(Integer)
    amount_min_cents: Mapped[int] = mapped_column(BigInt, default=0)
    amount_max_cents: Mapped[int | None] = mapped_column(BigInt)
    max_discount_cash_bp: Mapped[int] = mapped_column(Integer)
    max_discount_installments_bp: Mapped[int | None] = mapped_column(Integer)  # None: half the cash discount
    min_installment_cents: Mapped[int] = mapped_column(BigInt)
    max_installments: Mapped[int] = mapped_column(Integer)
    down_payment_required: Mapped[bool] = mapped_column(Boolean, default=False)
    down_payment_min_bp: Mapped[int] = mapped_column(Integer)
    down_payment_min_cents: Mapped[int] = mapped_column(BigInt, default=0)
    first_due_min_days: Mapped[int] = mapped_column(Integer)
    first_due_default_days: Mapped[int] = mapped_column(Integer)
    first_due_max_days: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
