"""The transactional outbox: side effects written with the state change that causes them.

Delivery is "one row, one commit": a worker leases due rows in one short UPDATE (the only place
`FOR UPDATE SKIP LOCKED` appears, so workers never take the same row), commits at once, does the
network I/O with no transaction or row lock open, then records each row's result in its own short
statement. A worker killed between a send and its record leaves that one row leased; the lease
runs out and the row is sent again (at least once), but nothing it had already recorded is, and the
rest of its batch was never sent. Each row's idempotency key makes a second insert a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.negotiation.models import Outbox
from certokit import leases
from certokit.db import dialect_of, utcnow
from certokit.retry import backoff as backoff

# Longer than any one row's I/O may take (the Graph client's whole retry budget included): a lease
# that ran out under a live worker would let a second worker send the same row. It is also the
# chance a WhatsApp send gets to be recorded by Meta's status webhook when its worker died right
# after Meta's 200: the "sent" status, which names the row (`biz_opaque_callback_data`), arrives
# within seconds and marks it done (certobot.whatsapp.statuses), long before the row is claimable
# again. Only a status that has not arrived in 120 s (Meta down, or our webhook down that long)
# leaves the re-send, at least once.
LEASE = timedelta(seconds=120)
# The replies a turn writes and sends from memory at once. Shorter, because a second sender cannot
# reach them while the turn's worker lives: every sender of a conversation's replies holds its lock
# (certobot.whatsapp.pipeline, renewed while the sends run), which a dead worker loses within 20 s.
# So a worker killed mid-turn delays its debtor's reply by about half a minute, not two — still
# ample time for Meta's "sent" status of a reply that did go out.
REPLY_LEASE = timedelta(seconds=30)


async def put(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    conversation_id: str | None = None,
    message_id: int | None = None,
) -> bool:
    """Insert an outbox row unless its key exists; returns whether it was new.

    `message_id`: the transcript line a WhatsApp send marks as sent (a column, so that SQL — a
    status webhook's one statement — can find it without opening the sealed payload)."""
    values = {
        "kind": kind,
        "idempotency_key": key,
        "conversation_id": conversation_id,
        "payload": payload,
        "message_id": message_id,
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


async def claim(
    session: AsyncSession,
    *where: ColumnElement[bool],
    limit: int | None = None,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    holder: int | None = None,
) -> list[Outbox]:
    """Lease the pending rows matching `where` (oldest first) in one UPDATE … RETURNING.

    The caller commits right after: the lease, not a row lock, keeps other workers off the rows while
    the I/O runs. Rows whose lease ran out (their worker died) are claimable again, unless a WhatsApp
    send's status webhook recorded them meanwhile (see LEASE).

    `holder`: the backend of a connection the caller holds until it has recorded every row (Postgres,
    `certokit.leases`). A row leased by a holder whose backend is gone is claimable at once, its lease
    notwithstanding: only for rows whose receiver deduplicates a second delivery (the CRM, by the
    row's Idempotency-Key) — a WhatsApp reply's lease waits for Meta's status instead.
    """
    now = now or utcnow()
    free = or_(Outbox.locked_until.is_(None), Outbox.locked_until <= now)
    if dialect_of(session) == "postgresql":
        free = or_(free, leases.holder_gone(Outbox.locked_by))
    ids = select(Outbox.id).where(Outbox.status == "pending", free, *where).order_by(Outbox.id).limit(limit)
    if dialect_of(session) == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    stmt = (
        update(Outbox)
        .where(Outbox.id.in_(ids.scalar_subquery()))
        .values(locked_until=now + lease, locked_by=holder)
        .returning(Outbox)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.scalars(stmt)).all()
    for row in rows:
        session.expunge(row)  # a plain copy: recording a result is an explicit UPDATE, never a flush
    return sorted(rows, key=lambda r: r.id)


async def release(session: AsyncSession, ids: Sequence[int]) -> None:
    """Give back leased rows this worker will not try now (they wait behind one that must retry)."""
    if ids:
        await session.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status == "pending")
            .values(locked_until=None, locked_by=None)
            .execution_options(synchronize_session=False)
        )


async def _record(session: AsyncSession, row: Outbox, **values: Any) -> None:
    """One UPDATE for one row's result; the caller commits it on its own."""
    await session.execute(
        update(Outbox)
        .where(Outbox.id == row.id)
        .values(locked_until=None, locked_by=None, **values)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():  # keep the caller's copy truthful
        setattr(row, name, value)


async def mark_done(session: AsyncSession, row: Outbox, now: datetime | None = None) -> None:
    await _record(session, row, status="done", done_at=now or utcnow(), last_error=None)


async def mark_retry(
    session: AsyncSession, row: Outbox, error: str, *, max_attempts: int = 20, now: datetime | None = None
) -> None:
    attempts = row.attempts + 1
    if attempts >= max_attempts:
        await _record(session, row, attempts=attempts, last_error=error[:2000], status="failed")
    else:
        retry_at = (now or utcnow()) + backoff(attempts)
        await _record(session, row, attempts=attempts, last_error=error[:2000], next_attempt_at=retry_at)


async def mark_failed(session: AsyncSession, row: Outbox, error: str) -> None:
    await _record(session, row, attempts=row.attempts + 1, status="failed", last_error=error[:2000])
