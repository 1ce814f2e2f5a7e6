from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from certobot.base import BotBase
from certobot.sealed import CpfHash, Sealed
from certokit.db import JsonDoc, UtcDateTime, utcnow


class Campaign(BotBase):
    """A batch of debtors to contact at a bounded pace; its items live in Postgres, not in memory."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default="loading")  # loading, running, paused, done
    source: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # {"cpfs": n} or the CRM filter
    per_minute: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer, default=0)
    next_send_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CampaignItem(BotBase):
    __tablename__ = "campaign_items"
    __table_args__ = (Index("ix_campaign_items_pending", "campaign_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    cpf: Mapped[str] = mapped_column(Sealed)
    cpf_hash: Mapped[str | None] = mapped_column(CpfHash, index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued, sent, refused, failed
    session_id: Mapped[str | None] = mapped_column(String(36), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @validates("cpf")
    def _index_cpf(self, _: str, value: str) -> str:
        self.cpf_hash = value  # hashed on the way to the database
        return value
