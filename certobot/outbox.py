"""The transactional outbox: side effects written with the state change that causes them.

Rows are claimed with FOR UPDATE SKIP LOCKED (Postgres), so several workers share the work without
taking the same row; each row's idempotency key makes a second insert a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.negotiation.models import Outbox
from certokit.db import dialect_of, utcnow


async def put(
    session: AsyncSession, *, kind: str, key: str, payload: dict[str, Any], conversation_id: str | None = None
) -> bool:
    """Insert an outbox row unless its key exists; returns whether it was new."""
    values = {
        "kind": kind,
        "idempotency_key": key,
        "conversation_id": conversation_id,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "created_at": utcnow(),
    }
    dialect = dialect_of(session)
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_pending(
    session: AsyncSession, *where: ColumnElement[bool], limit: int | None = None
) -> Sequence[Outbox]:
    """The pending rows matching `where`, oldest first, locked for this session (rows another worker
    holds are skipped; SQLite, single-process, has no row locks to take)."""
    stmt = select(Outbox).where(Outbox.status == "pending", *where).order_by(Outbox.id).limit(limit)
    if dialect_of(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return (await session.scalars(stmt)).all()


def backoff(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> timedelta:
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def mark_done(row: Outbox, now: datetime | None = None) -> None:
    row.status = "done"
    row.done_at = now or utcnow()
    row.last_error = None


def mark_retry(row: Outbox, error: str, *, max_attempts: int = 20) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= max_attempts:
        row.status = "failed"
    else:
        row.next_attempt_at = utcnow() + backoff(row.attempts)


def mark_failed(row: Outbox, error: str) -> None:
    row.attempts += 1
    row.status = "failed"
    row.last_error = error[:2000]
