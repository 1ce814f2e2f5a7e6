"""Meta's status webhooks ("sent", "delivered", "read", "failed"): recorded once, and closing the
window a killed sender leaves open.

Every message the bot sends from its outbox carries `biz_opaque_callback_data` = `ob:<outbox id>`
(no personal data: a row number). Meta echoes that string in each `statuses` object of the
webhooks about the message. So when a process dies between Meta's 200 and recording the send, the
"sent" status that Meta posts a second or two later still names the row: it is marked done and its
transcript line sent with the wamid, and the sweeper — which waits for the lease to run out
before it re-sends a row (certobot.outbox.LEASE, REPLY_LEASE) — finds nothing left to send. Without the status
(Meta never took the message, or its webhook never came) the row goes out again when the lease
ends: at least once, that one message.

On Postgres all statuses of a webhook body are one statement in autocommit: record each
(wamid, status) once, move each known message forward only (`failed` may follow any), and
claim the still-pending outbox rows the statuses name. SQLite (local development) keeps the same
rules through the ORM.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.negotiation.models import Outbox
from certobot.sealed import SEAL
from certobot.whatsapp.marks import MARK_CTES, PENDING_BY_ID, SentMarks
from certobot.whatsapp.models import Message, StatusEvent
from certobot.whatsapp.schemas import Status
from certokit import rawsql
from certokit.db import utcnow
from certokit.logging import get_logger

log = get_logger("certobot.statuses")

# A status only moves forward; `failed` may follow any of them.
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}

_OPAQUE = re.compile(r"ob:(\d{1,18})")


def opaque(outbox_id: int) -> str:
    """What a send carries in `biz_opaque_callback_data`: the outbox row, and nothing personal."""
    return f"ob:{outbox_id}"


def outbox_id_of(data: str | None) -> int | None:
    """The outbox row a status's opaque data names; None for anything else (the CRM's sends, none)."""
    m = _OPAQUE.fullmatch(data or "")
    return int(m.group(1)) if m else None


def _error(s: Status) -> dict[str, Any] | None:
    if s.status == "failed" and s.errors:
        return {"errors": [e.model_dump(mode="json") for e in s.errors]}
    return None


# One statement for every status of a body. `v` is the body; `recorded` the (wamid, status) pairs
# never seen before; `best` each wamid's furthest status in the body. `moved` advances messages
# whose send was recorded (found by wamid); `claimed` marks done the pending outbox rows a status
# names by its opaque data (the process that sent them died before recording), and `named` gives
# their transcript line the wamid and status. `moved` and `named` never touch the same row: a
# `queued` line has no wamid yet. Redeliveries are harmless: forward only, and only pending rows.
# The outbox rows are named twice, joined and as an array, for the plan: see marks.PENDING_BY_ID.
_STORE_SQL = f"""
WITH v AS (
  SELECT * FROM jsonb_to_recordset(:rows)
    AS r(ord int, wamid text, status text, payload text, rank int, error jsonb, outbox_id bigint)
), recorded AS (
  INSERT INTO status_events (wamid, status, payload, received_at)
  SELECT wamid, status, payload, now() FROM v ORDER BY wamid, status, ord
  ON CONFLICT (wamid, status) DO NOTHING
  RETURNING wamid, status
), best AS (
  SELECT DISTINCT ON (wamid) wamid, status, rank, error FROM v ORDER BY wamid, rank DESC, ord
), moved AS (
  UPDATE messages m SET status = b.status, error = COALESCE(b.error, m.error), updated_at = now()
  FROM best b
  WHERE m.wamid = b.wamid
    AND b.rank > COALESCE(array_position(ARRAY['queued','sent','delivered','read','failed'], m.status::text) - 1, -1)
  RETURNING 1
), claimed AS (
  UPDATE outbox o SET status = 'done', done_at = now(), last_error = NULL, locked_until = NULL
  FROM (SELECT DISTINCT ON (outbox_id) outbox_id, wamid FROM v WHERE outbox_id IS NOT NULL
        ORDER BY outbox_id, ord) c
  WHERE o.id = c.outbox_id AND o.kind = 'whatsapp' AND o.{PENDING_BY_ID}
    AND o.id = ANY (ARRAY(SELECT outbox_id FROM v WHERE outbox_id IS NOT NULL))
  RETURNING o.message_id, c.wamid
), named AS (
  UPDATE messages m SET status = CASE WHEN b.rank > 0 THEN b.status ELSE 'sent' END, wamid = c.wamid,
                        error = b.error, updated_at = now()
  FROM claimed c JOIN best b ON b.wamid = c.wamid
  WHERE m.id = c.message_id AND m.status = 'queued'
  RETURNING 1
)
SELECT (SELECT coalesce(json_agg(json_build_array(wamid, status)), '[]') FROM recorded) AS recorded,
       (SELECT count(*) FROM claimed) AS claimed
"""
_STORE = text(_STORE_SQL).bindparams(bindparam("rows", type_=JSONB))
# The same, recording in front of it the replies this process sent and holds (certobot.whatsapp.marks)
# — never one these statuses name: `claimed` records that one, and one statement must not update a
# row twice.
_STORE_MARKING = text(_STORE_SQL.replace("WITH v AS (", f"WITH {MARK_CTES},\nv AS (", 1)).bindparams(
    bindparam("rows", type_=JSONB), bindparam("marks", type_=JSONB)
)


def status_row(s: Status) -> dict[str, Any]:
    """A status as the statement takes it (its payload sealed as the column keeps it)."""
    return {
        "wamid": s.id,
        "status": s.status,
        # As the column keeps it (certobot.sealed): this statement bypasses the column types.
        "payload": SEAL.seal_text(s.model_dump_json(by_alias=True)),
        "rank": STATUS_RANK.get(s.status, -1),
        "error": _error(s),
        "outbox_id": outbox_id_of(s.biz_opaque_callback_data),
    }


async def store_status_rows(
    engine: AsyncEngine, rows: list[dict[str, Any]], marks: SentMarks | None = None
) -> list[bool]:
    """Postgres: statuses (`status_row`) of one or several bodies in one autocommit statement; for
    each, whether it was new (a redelivered status, or the same one twice, is recorded once).

    `marks`: the process's held reply records. Those of rows these statuses name are dropped, the
    statement's `claimed` records them (Meta's "sent" for each reply usually comes within the
    window); the rest ride on the statement unless a turn is running. All are given back if it fails.
    """
    doc = [{"ord": i, **row} for i, row in enumerate(rows)]
    named = {int(r["outbox_id"]) for r in rows if r["outbox_id"] is not None}
    dropped = marks.drop(named) if marks is not None else []
    riding = marks.take_unless_busy() if marks is not None else []
    try:
        if riding:
            ((recorded, claimed),) = await rawsql.fetch(
                engine, _STORE_MARKING, {"rows": doc, "marks": SentMarks.param(riding)}
            )
        else:
            ((recorded, claimed),) = await rawsql.fetch(engine, _STORE, {"rows": doc})
    except BaseException:
        if marks is not None:
            marks.give_back([*dropped, *riding])
        raise
    if claimed > len(dropped):
        # Not held here: a process that sent these died before writing it down (or holds it still).
        log.info("send_recorded_from_status", rows=claimed - len(dropped))
    new = {(w, st) for w, st in (json.loads(recorded) if isinstance(recorded, str) else recorded)}
    answers = []
    for row in rows:
        key = (row["wamid"], row["status"])
        answers.append(key in new)
        new.discard(key)  # the same status twice: the first is the new one
    return answers


async def store_statuses(session: AsyncSession, statuses: list[Status]) -> int:
    """The same rules through the ORM, in the caller's transaction (SQLite); returns how many were new."""
    applied = 0
    for s in statuses:
        result = await session.execute(
            sqlite_insert(StatusEvent)
            .values(wamid=s.id, status=s.status, payload=s.model_dump(mode="json", by_alias=True), received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["wamid", "status"])
        )
        if result.rowcount:  # type: ignore[attr-defined]
            applied += 1
        await _claim(session, s)
        msg = await session.scalar(select(Message).where(Message.wamid == s.id))
        if msg is not None and STATUS_RANK.get(s.status, -1) > STATUS_RANK.get(msg.status, -1):
            msg.status = s.status
            msg.error = _error(s) or msg.error
    return applied


async def _claim(session: AsyncSession, s: Status) -> None:
    """A pending outbox row this status names: done, its transcript line sent with the wamid."""
    outbox_id = outbox_id_of(s.biz_opaque_callback_data)
    if outbox_id is None:
        return
    row = await session.scalar(
        select(Outbox).where(Outbox.id == outbox_id, Outbox.kind == "whatsapp", Outbox.status == "pending")
    )
    if row is None:
        return
    row.status, row.done_at, row.last_error, row.locked_until = "done", utcnow(), None, None
    message_id = row.message_id if row.message_id is not None else row.payload.get("message_id")
    if message_id is not None:
        await session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == "queued")
            .values(status="sent", wamid=s.id)
            .execution_options(synchronize_session=False)
        )
