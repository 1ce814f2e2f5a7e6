from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from certobot.base import BotBase
from certobot.sealed import CpfHash, PhoneHash, Sealed, SealedDoc
from certokit.db import UtcDateTime, utcnow


class Conversation(BotBase):
    """The durable record of a session; the live state machine sits in Redis."""

    __tablename__ = "conversations"
    __table_args__ = (
        # One debtor, one live conversation, whichever way WhatsApp writes the number.
        Index(
            "uq_conversations_live_phone",
            "phone_key",
            unique=True,
            postgresql_where=text("status IN ('active', 'handoff')"),
            sqlite_where=text("status IN ('active', 'handoff')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # CPF, phone and WhatsApp id sealed (AES-GCM); lookups go through the keyed hashes.
    debtor_cpf: Mapped[str | None] = mapped_column(Sealed)
    debtor_cpf_hash: Mapped[str | None] = mapped_column(CpfHash, index=True)
    phone: Mapped[str] = mapped_column(Sealed)
    # The hash of the phone key (the mobile without its ninth digit): both writings find the row.
    phone_key: Mapped[str] = mapped_column(PhoneHash, index=True)
    wa_id: Mapped[str | None] = mapped_column(Sealed)
    origin: Mapped[str] = mapped_column(String(10))  # inbound, outbound, campaign
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    phase: Mapped[str] = mapped_column(String(12), default="validation")
    validation_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Turns committed; the Redis session carries the same number, so a session written by a turn
    # whose transaction then failed (a process killed in between) is recognised and not trusted.
    state_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    campaign_id: Mapped[str | None] = mapped_column(String(36), index=True)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(SealedDoc)  # holds the CPF until anonymised
    outcome_kind: Mapped[str | None] = mapped_column(String(30))
    # What the team must see before anything else: "crisis" from a person who spoke of ending their
    # life until someone of the team writes to them or marks it cared for (the inbox sorts it first).
    attention: Mapped[str | None] = mapped_column(String(20))
    # The durable copy of the live session, written by the same statement as the turn it belongs to:
    # a session Redis lost (restart, eviction, a stale version) is rebuilt from here, not asked again.
    session: Mapped[dict[str, Any] | None] = mapped_column(SealedDoc)  # the CPF, what the debtor wrote: sealed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @validates("debtor_cpf")
    def _index_cpf(self, _: str, value: str | None) -> str | None:
        self.debtor_cpf_hash = value  # hashed on the way to the database
        return value


class ValidationAttempt(BotBase):
    """Audit of the CPF challenge. The digits typed are never stored."""

    __tablename__ = "validation_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    success: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Outbox(BotBase):
    """Side effects written in the same transaction as the state change that causes them.

    `kind` is `whatsapp` (a message to send), `crm_outcome` or `crm_contact`. The key makes each
    effect happen once however often a worker retries it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # The rows still to do, a conversation's first (a turn's backlog, a send in order), for the
        # sweeper and the senders; a row leaves it once, when done. No index on `status`, `kind` or
        # `next_attempt_at` over every row ever sent: each cost an index entry per insert and per
        # "done", and kept the lease's update from being heap-only (HOT).
        Index(
            "ix_outbox_pending",
            "conversation_id",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # Room on each page for a row's next version (the lease, "done") beside the old one.
        {"postgresql_with": {"fillfactor": 90}},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    conversation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(SealedDoc)  # phones, texts, CPFs: sealed
    # The transcript line a WhatsApp send marks as sent. A column, not a payload key: the turn's one
    # statement learns the message's id in SQL and cannot open a sealed payload to put it there.
    message_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, done, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # A worker's lease on the row while it does the I/O outside any transaction; past it, the row
    # is claimable again (its worker died between the send and the record).
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The Postgres backend of the connection the lease's worker holds while it works (CRM rows only):
    # gone from pg_stat_activity, the worker is dead and the row free before its lease ends.
    locked_by: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
