"""Storing what Meta delivers, durably and once: the dedupe survives restarts (Meta redelivers for 7 days)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.sealed import SEAL
from certobot.whatsapp.marks import SentMarks, mark_ctes
from certobot.whatsapp.models import InboundEvent
from certobot.whatsapp.schemas import InboundMessage, Status

# Statuses (sent, delivered, read, failed) have their own module; imported here for the intake.
from certobot.whatsapp.statuses import status_row, store_status_rows, store_statuses
from certokit import rawsql
from certokit.coalesce import Coalescer, item_fault
from certokit.db import dialect_of, utcnow
from certokit.logging import get_logger

log = get_logger("certobot.intake")

__all__ = [
    "InboundWriters",
    "status_row",
    "store_messages",
    "store_statuses",
]


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return pg_insert if dialect_of(session) == "postgresql" else sqlite_insert


async def store_messages(
    session: AsyncSession, messages: list[InboundMessage], flooded: frozenset[str] = frozenset()
) -> list[str]:
    """Insert new inbound events; returns the phone keys that have new work (duplicates are skipped).

    Messages whose wamid is in `flooded` are kept (dedupe, audit) but stored as already processed: a
    phone flooding us gets no answers for a while, and everyone else's conversations go on.
    """
    fresh: list[str] = []
    insert = _insert(session)
    for m in messages:
        throttled = m.wamid in flooded
        stmt = (
            insert(InboundEvent)
            .values(
                wamid=m.wamid,
                phone_key=m.phone_key,
                wa_id=m.wa_id,
                sent_at=m.timestamp,
                payload=None if throttled else m.model_dump(mode="json"),
                received_at=utcnow(),
                processed_at=utcnow() if throttled else None,
            )
            .on_conflict_do_nothing(index_elements=["wamid"])
        )
        result = await session.execute(stmt)
        if result.rowcount and not throttled:  # type: ignore[attr-defined]
            fresh.append(m.phone_key)
    return fresh


# Every message of the webhook bodies a moment brought (certokit.coalesce) in ONE statement, in
# autocommit (no BEGIN/COMMIT round trips): the per-phone, per-minute flood counter is an upsert (its
# row lock makes concurrent webhooks count exactly), each message learns its place in that minute,
# and the ones past the allowance are stored already processed, without their text. Duplicates (Meta
# redelivers) are skipped by the unique wamid. Rows are locked in key order (counters by phone, events
# by wamid), so two processes' statements naming the same phones or messages wait, never deadlock.
# Parameters: $1 the messages as a JSON array, $2 the minute, $3 the allowance per phone and minute.
# Sent as asyncpg's own prepared statement on a connection of the engine's pool: the webhook's one
# round trip skips SQLAlchemy's execution machinery (about a seventh of a webhook's CPU), and asyncpg
# prepares it once per connection.
_STORE = """
WITH v AS (
  SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(ord int, wamid text, phone_key text, wa_id text,
                                              sent_at timestamptz, payload text)
), counted AS (
  INSERT INTO inbound_floods (phone_key, minute, n)
  SELECT phone_key, $2, count(*) FROM v GROUP BY phone_key ORDER BY phone_key
  ON CONFLICT (phone_key, minute) DO UPDATE SET n = inbound_floods.n + EXCLUDED.n
  RETURNING phone_key, n
), placed AS (
  SELECT v.*, c.n - count(*) OVER (PARTITION BY v.phone_key)
              + row_number() OVER (PARTITION BY v.phone_key ORDER BY v.ord) AS nth
  FROM v JOIN counted c USING (phone_key)
)
INSERT INTO inbound_events (wamid, phone_key, wa_id, sent_at, payload, received_at, processed_at)
SELECT wamid, phone_key, wa_id, sent_at,
       CASE WHEN nth > $3 THEN NULL ELSE payload END, now(),
       CASE WHEN nth > $3 THEN now() END
FROM placed ORDER BY wamid, ord
ON CONFLICT (wamid) DO NOTHING
RETURNING wamid, phone_key, processed_at IS NULL
"""
# The same, recording in front of it the replies this process's worker sent and holds
# (certobot.whatsapp.marks, $4): in sparse traffic the next webhook is the next statement there is.
_STORE_MARKING = _STORE.replace("WITH v AS (", "WITH" + mark_ctes("$4::text::jsonb") + ",\nv AS (", 1)

# What the statement answers for each message: (phone key, answered) when it was stored now —
# answered False when past the phone's allowance —, None for one stored before (a redelivery).
Stored = tuple[str, bool] | None


def stored_row(m: InboundMessage) -> dict[str, object]:
    """A message as the statement takes it: its columns as stored (certobot.sealed), bypassing the types."""
    return {
        "wamid": m.wamid,
        "phone_key": SEAL.phone_hash(m.phone_key),
        "wa_id": SEAL.seal_text(m.wa_id) if m.wa_id else None,
        "sent_at": m.timestamp.isoformat(),
        "payload": SEAL.seal_text(m.model_dump_json()),
    }


async def store_rows(
    engine: AsyncEngine, rows: list[dict[str, object]], limit: int, marks: SentMarks | None = None
) -> list[Stored]:
    """Postgres: the messages (`stored_row`) and the flood check in one statement; one answer per row.

    `marks`: the process's held reply records, written by the same statement unless a turn is
    running (given back if it fails).
    """
    doc = [{"ord": i, **row} for i, row in enumerate(rows)]
    params: tuple[object, ...] = (json.dumps(doc), int(time.time() // 60), limit)
    # Outside any transaction (autocommit): the statement is its own transaction, no BEGIN/COMMIT.
    riding = marks.take_unless_busy() if marks is not None else []
    statement = _STORE
    if riding:
        statement, params = _STORE_MARKING, (*params, json.dumps(SentMarks.param(riding)))
    try:
        async with rawsql.driver_connection(engine, statement) as conn:
            inserted = await conn.fetch(statement, *params)
    except BaseException:
        if marks is not None:
            marks.give_back(riding)  # undone with the statement: the next one, or the window's end, records them
        raise
    by_wamid: dict[str, tuple[str, bool]] = {wamid: (key, fresh) for wamid, key, fresh in inserted}
    answers: list[Stored] = []
    for row in rows:
        # A message twice in one statement (a redelivery racing its first delivery) is stored once:
        # the first of them answers for it, the other is the redelivery.
        answers.append(by_wamid.pop(str(row["wamid"]), None))
    return answers


def fresh_keys(answers: list[Stored]) -> list[str]:
    """The phone keys with new work among a body's answers (the throttled ones logged)."""
    over = sum(1 for a in answers if a is not None and not a[1])
    if over:
        log.warning("phone_throttled", messages=over)
    return [a[0] for a in answers if a is not None and a[1]]


class InboundWriters:
    """A process's webhook writes, each made once for the webhooks that arrive together
    (certokit.coalesce): under a burst, one statement stores the messages of many bodies, one records
    the statuses of many, and one Redis round trip announces the phones of many (with one wake-up for
    the workers), instead of one each."""

    def __init__(
        self,
        engine: AsyncEngine,
        limit: int,
        marks: Callable[[], SentMarks | None],
        announce: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        self.messages: Coalescer[dict[str, object], Stored] = Coalescer(
            lambda rows: store_rows(engine, rows, limit, marks()), alone=item_fault
        )
        self.statuses: Coalescer[dict[str, Any], bool] = Coalescer(
            lambda rows: store_status_rows(engine, rows, marks()), alone=item_fault
        )

        async def announced(keys: list[str]) -> list[None]:
            await announce(keys)
            return [None] * len(keys)

        self.announcements: Coalescer[str, None] = Coalescer(announced)

    async def store(self, messages: list[InboundMessage]) -> list[str]:
        """A body's messages stored (with everyone else's of the moment); the phone keys with new work."""
        return fresh_keys(await self.messages([stored_row(m) for m in messages]))

    async def announce(self, phone_keys: list[str]) -> None:
        """The phones with new work announced to the workers (with everyone else's of the moment)."""
        await self.announcements(phone_keys)

    async def record(self, statuses: list[Status]) -> int:
        """A body's statuses recorded (with everyone else's of the moment); how many were new."""
        return sum(await self.statuses([status_row(s) for s in statuses]))
