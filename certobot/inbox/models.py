from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from certobot.base import BotBase
from certokit.db import UtcDateTime, utcnow


class InboxCard(BotBase):
    """What the inbox shows and searches beside a conversation: who the debtor is, the amount, a note.

    A copy taken from the CRM when the inbox first sees the conversation, so that searching by name
    is one indexed query here instead of one CRM call per row.
    """

    __tablename__ = "inbox_cards"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    debtor_name: Mapped[str | None] = mapped_column(String(200), index=True)
    debt_cents: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    filled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when the CRM copy was taken
    note: Mapped[str | None] = mapped_column(Text)
    note_by: Mapped[str | None] = mapped_column(String(80))
    note_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
