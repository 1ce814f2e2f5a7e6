from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from certobot.base import BotBase
from certokit.db import UtcDateTime, utcnow


class ReviewLabel(BotBase):
    """A supervisor's word on a message the bot did not understand: the intent it should have been.

    Apart from `messages` so the transcript stays what was said, and the label who corrected it.
    """

    __tablename__ = "review_labels"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(32))  # an intent of the engine, or "ignorar"
    labelled_by: Mapped[str] = mapped_column(String(80))
    labelled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Switch(BotBase):
    """A switch of the whole workplace, e.g. `handoff_all`: every new message to a person."""

    __tablename__ = "switches"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    on: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str | None] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
