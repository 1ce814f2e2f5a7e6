from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from certobot.base import BotBase
from certobot.sealed import PhoneHash, Sealed, SealedDoc
from certokit.db import JsonDoc, UtcDateTime, utcnow


class InboundEvent(BotBase):
    """A message as Meta delivered it. The unique wamid is the durable dedupe (redeliveries for 7 days).

    `payload` holds the raw message until it is processed, then is cleared: the masked text stays
    in `messages`.
    """

    __tablename__ = "inbound_events"
    __table_args__ = (
        # The events still to process: a turn's read (a phone's, in order) and the sweeper's scan. An
        # event leaves it once, when processed; the old index on `processed_at` took an entry for
        # every event ever received and another on each one processed.
        Index(
            "ix_inbound_events_unprocessed",
            "phone_key",
            "sent_at",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    wamid: Mapped[str] = mapped_column(String(128), unique=True)
    phone_key: Mapped[str] = mapped_column(PhoneHash, index=True)
    wa_id: Mapped[str] = mapped_column(Sealed)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any] | None] = mapped_column(SealedDoc)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Message(BotBase):
    """Every message in and out of a conversation, CPF digits masked; outbound ones track their wamid."""

    __tablename__ = "messages"
    __table_args__ = (
        # The "não entendidas" queue: a few rows among millions, found without a scan.
        Index(
            "ix_messages_review",
            "id",
            postgresql_where=text("review IS NOT NULL"),
            sqlite_where=text("review IS NOT NULL"),
        ),
        # Room on each page for a line's next versions ("delivered", "read"), which then change no
        # index (heap-only updates) instead of moving the row and adding an entry to each index.
        {"postgresql_with": {"fillfactor": 85}},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    author: Mapped[str] = mapped_column(String(10), default="bot")  # debtor, bot, operator, system
    phone: Mapped[str] = mapped_column(Sealed)
    wamid: Mapped[str | None] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    # received (inbound); queued, sent, delivered, read, failed (outbound)
    status: Mapped[str] = mapped_column(String(12), default="received")
    error: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # Inbound only, written with the message by the turn: the intent the bot acted on, and why the
    # team should look at it ("fallback": it did not understand; "handoff": it handed over).
    understood: Mapped[str | None] = mapped_column(String(32))
    review: Mapped[str | None] = mapped_column(String(10))


class StatusEvent(BotBase):
    """Status webhooks seen, deduplicated on (wamid, status)."""

    __tablename__ = "status_events"
    # The unique (wamid, status) also finds a wamid's rows: no second index on `wamid` to fill.
    __table_args__ = (UniqueConstraint("wamid", "status", name="uq_status_events_wamid_status"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    wamid: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(12))
    payload: Mapped[dict[str, Any]] = mapped_column(SealedDoc)  # carries the recipient's phone
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InboundFlood(BotBase):
    """Messages per phone and minute, counted by the webhook's one insert (an upsert: exact under concurrency)."""

    __tablename__ = "inbound_floods"

    phone_key: Mapped[str] = mapped_column(PhoneHash, primary_key=True)  # the hash, like every phone key
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)
