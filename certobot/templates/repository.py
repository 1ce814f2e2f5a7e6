"""Every SQL statement about templates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.templates.models import TemplateVersion
from certokit.db import dialect_of

CHANNEL = "certobot_templates"  # NOTIFY: every process reloads its templates when one is saved


async def latest(db: AsyncSession) -> dict[str, TemplateVersion]:
    """The newest version of each edited key, in one statement (what a process caches)."""
    newest = (
        select(TemplateVersion.key, func.max(TemplateVersion.version).label("v"))
        .group_by(TemplateVersion.key)
        .subquery()
    )
    rows = await db.scalars(
        select(TemplateVersion).join(
            newest, (TemplateVersion.key == newest.c.key) & (TemplateVersion.version == newest.c.v)
        )
    )
    return {r.key: r for r in rows}


async def versions(db: AsyncSession, key: str) -> list[TemplateVersion]:
    rows = await db.scalars(
        select(TemplateVersion).where(TemplateVersion.key == key).order_by(TemplateVersion.version.desc())
    )
    return list(rows)


async def version(db: AsyncSession, key: str, number: int) -> TemplateVersion | None:
    found: TemplateVersion | None = await db.scalar(
        select(TemplateVersion).where(TemplateVersion.key == key, TemplateVersion.version == number)
    )
    return found


async def current_number(db: AsyncSession, key: str) -> int:
    n = await db.scalar(select(func.max(TemplateVersion.version)).where(TemplateVersion.key == key))
    return int(n or 0)


async def add(
    db: AsyncSession, *, key: str, number: int, body: str, author: str, note: str | None, now: datetime
) -> TemplateVersion:
    row = TemplateVersion(key=key, version=number, body=body, author=author, note=note, created_at=now)
    db.add(row)
    await db.flush()
    return row


async def announce(db: AsyncSession, key: str) -> None:
    """Delivered at COMMIT to every listening process; SQLite (`certobot up`) has one process and polls."""
    if dialect_of(db) == "postgresql":
        await db.execute(text("SELECT pg_notify(:channel, :key)"), {"channel": CHANNEL, "key": key})
