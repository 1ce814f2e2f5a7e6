from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from certokit.db import UtcDateTime, utcnow
from mock_crm.base import CrmBase


class Agreement(CrmBase):
    """One agreement, keyed like its boletos (`agreement_key`); its status is the lifecycle's state.

    Installments are the boletos themselves; what is paid of each is the sum of its payments.
    """

    __tablename__ = "crm_agreements"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("crm_debtors.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)  # active, paid, broken, cancelled
    total_cents: Mapped[int] = mapped_column(BigInteger)
    installments: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
