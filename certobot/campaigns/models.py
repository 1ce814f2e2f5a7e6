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
    # loading, running, paused, done, cancelled; a recurring one waits between runs in "waiting"
    status: Mapped[str] = mapped_column(String(12), default="loading")
    source: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # {"cpfs": n} or the CRM filter
    per_minute: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer, default=0)
    next_send_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    segment: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    segment_name: Mapped[str | None] = mapped_column(String(80), index=True)  # what the dashboard filters by
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class CampaignRun(BotBase):
    """One run of a recurring campaign: its segment evaluated at that time, and who was left out."""

    __tablename__ = "campaign_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12), default="evaluating")  # evaluating, sending, failed
    matched: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class CampaignItem(BotBase):
    __tablename__ = "campaign_items"
    __table_args__ = (Index("ix_campaign_items_pending", "campaign_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    cpf: Mapped[str] = mapped_column(Sealed)
    cpf_hash: Mapped[str | None] = mapped_column(CpfHash, index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued, sent, refused, failed
    session_id: Mapped[str | None] = mapped_column(String(36), index=True)
    run_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @validates("cpf")
    def _index_cpf(self, _: str, value: str) -> str:
        self.cpf_hash = value  # hashed on the way to the database
        return value
