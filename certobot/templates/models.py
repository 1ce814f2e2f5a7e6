"""Every saved version of a template; the newest of a key is the one in force."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certobot.base import BotBase
from certokit.db import UtcDateTime, utcnow


class TemplateVersion(BotBase):
    """Append-only: an edit or a revert adds a version, so the history says who said what when."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_template_versions_key_version"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
