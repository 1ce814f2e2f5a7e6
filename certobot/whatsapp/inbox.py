"""Storing what Meta delivers, durably and once: the dedupe survives restarts (Meta redelivers for 7 days)."""

from __future__ import annotations

import json
import time

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.sealed import SEAL
from certobot.whatsapp.marks import SentMarks, mark_ctes
from certobot.whatsapp.models import InboundEvent
from certobot.whatsapp.schemas import InboundMessage

# Statuses (sent, delivered, read, failed) have their own module; imported here for the intake.
from certobot.whatsapp.statuses import store_statuses, store_statuses_at_once
from certokit import rawsql
from certokit.db import dialect_of, utcnow
from certokit.logging import get_logger

log = get_logger("certobot.intake")

__all__ = ["store_messages", "store_messages_at_once", "store_statuses", "store_statuses_at_once"]


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


# Every message of a webhook body in ONE statement, in autocommit (no BEGIN/COMMIT round trips):
# the per-phone, per-minute flood counter is an upsert (its row lock makes concurrent webhooks count
# exactly), each message learns its place in that minute, and the ones past the allowance are stored
# already processed, without their text. Duplicates (Meta redelivers) are skipped by the unique wamid.
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
  SELECT phone_key, $2, count(*) FROM v GROUP BY phone_key
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
FROM placed ORDER BY ord
ON CONFLICT (wamid) DO NOTHING
RETURNING phone_key, processed_at IS NULL
"""
# The same, recording in front of it the replies this process's worker sent and holds
# (certobot.whatsapp.marks, $4): in sparse traffic the next webhook is the next statement there is.
_STORE_MARKING = _STORE.replace("WITH v AS (", "WITH" + mark_ctes("$4::text::jsonb") + ",\nv AS (", 1)


async def store_messages_at_once(
    engine: AsyncEngine, messages: list[InboundMessage], limit: int, marks: SentMarks | None = None
) -> list[str]:
    """Postgres: `store_messages` and the flood check in one statement; the phone keys with new work.

    `marks`: the process's held reply records, written by the same statement unless a turn is
    running (given back if it fails).
    """
    if not messages:
        return []
    rows = [
        {
            "ord": i,
            "wamid": m.wamid,
            # As the columns keep them (certobot.sealed): this statement bypasses the column types.
            "phone_key": SEAL.phone_hash(m.phone_key),
            "wa_id": SEAL.seal_text(m.wa_id) if m.wa_id else None,
            "sent_at": m.timestamp.isoformat(),
            "payload": SEAL.seal_text(m.model_dump_json()),
        }
        for i, m in enumerate(messages)
    ]
    params: tuple[object, ...] = (json.dumps(rows), int(time.time() // 60), limit)
    # Outside any transaction (autocommit): the statement is its own transaction, no BEGIN/COMMIT.
    riding = marks.take_unless_busy() if marks is not None else []
    statement = _STORE
    if riding:
        statement, params = _STORE_MARKING, (*params, json.dumps(SentMarks.param(riding)))
    try:
        async with rawsql.driver_connection(engine, statement) as conn:
            stored = await conn.fetch(statement, *params)
    except BaseException:
        if marks is not None:
            marks.give_back(riding)  # undone with the statement: the next one, or the window's end, records them
        raise
    over = sum(1 for _, fresh in stored if not fresh)
    if over:
        log.warning("phone_throttled", messages=over)
    return [key for key, fresh in stored if fresh]
