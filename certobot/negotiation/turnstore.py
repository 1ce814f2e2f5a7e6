"""A turn's Postgres: one statement reads it, one statement writes it, nothing open in between.

Read: the phone's live conversation (or the latest one that ended, for a message after an outcome),
its pending inbound events, and the few facts the decision needs (identity locks and failures,
blocked pairs, whether replies are already waiting to go out) — one SELECT of JSON columns.

Decide: the flow works on plain objects and collects everything it wants written in a `TurnWork`;
no transaction, row lock or pooled connection is held while the CRM or the model answers.

Write: one statement of data-modifying CTEs, guarded by the conversation's `state_version` (and
the event still unprocessed): the conversation row (with the durable copy of the session), the
transcript lines, the outbox rows (WhatsApp replies already leased to this worker, so it sends them
from memory after the commit; the sweeper is the fallback when the lease runs out), any extra rows
(`TurnWork.add`: validation attempts, identity failures and locks, blocked phones, and whatever a
later feature writes with a turn), and the events marked processed. If a guard fails the statement
raises and nothing is written: the caller reads again and decides again, never writes twice. The
statement's text is the same whatever the turn did (its rows travel as JSON arrays), so it is
planned once per connection, and the turns ready at the same moment are written by one statement
(`TurnWriter`), each still all or nothing: if one turn's guard fails, the statement is undone and
each of its turns is written alone, so only that turn is read and decided again.

On another database (SQLite for `certobot up`) the same work is applied through the ORM in one
short transaction.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import TextClause

from certobot.crm.client import CrmClient
from certobot.crm.schemas import DebtorInfo
from certobot.negotiation.models import Conversation, Outbox
from certobot.negotiation.session import SessionState
from certobot.outbox import REPLY_LEASE
from certobot.sealed import SEAL, SealedDoc
from certobot.security.models import BlockedPhone, IdentityFailure, IdentityLock
from certobot.whatsapp.marks import MARK_CTES, Mark, SentMarks
from certobot.whatsapp.models import InboundEvent, Message
from certokit import rawsql
from certokit.coalesce import Coalescer, item_fault, sqlstate
from certokit.db import UtcDateTime, utcnow
from certokit.sealing import BlindIndex, SealedBytes, SealedJson, SealedText

LIVE_STATUSES = ("active", "handoff")
# A message after an outcome reaches that conversation for this long.
AFTER_OUTCOME_WINDOW = timedelta(days=30)
CONFLICT = "turn_conflict"


class TurnConflict(Exception):
    """Someone else wrote this conversation (or processed the event) since it was read."""


@dataclass
class Pending:
    id: int
    payload: dict[str, Any] | None
    received_at: datetime


@dataclass
class TurnRead:
    """What one read statement returned for a phone."""

    phone_key: str
    live: Conversation | None
    recent: Conversation | None  # only without a live one (the turn looks no further then)
    events: list[Pending]
    locks: dict[tuple[str, str], datetime]
    failures: list[tuple[str, str, datetime]]  # (cpf, phone_key, created_at) in the lock window
    blocked_cpfs: frozenset[str]
    backlog: bool  # replies of the live conversation still waiting in the outbox (order first)


@dataclass
class Extra:
    row: DeclarativeBase
    conflict: tuple[str, ...] = ()  # unique columns: an existing row is left alone …
    update: tuple[str, ...] = ()  # … or these columns of it are updated


@dataclass
class TurnWork:
    """Everything a turn wants written, collected while it decides."""

    read: TurnRead | None = None
    convs: dict[str, Conversation] = field(default_factory=dict)
    new: set[str] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)  # as read: the optimistic guard
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    outbox: list[tuple[Outbox, int | None]] = field(default_factory=list)  # (row, index into messages)
    extras: list[Extra] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    lease: bool = True  # replies leased to this worker, sent from memory after the commit
    crm: CrmClient = field(default=cast("CrmClient", None))  # the CRM client this turn may ask
    cached: SessionState | None = None  # the session Redis held when the lock was taken
    state_in: SessionState | None = None  # the session this turn started from
    state: SessionState | None = None  # the session after the turn, for Redis once the write committed
    debtor: DebtorInfo | None = None  # the debtor as the CRM answered during this turn

    def track(self, conv: Conversation, *, new: bool = False) -> Conversation:
        if conv.id not in self.convs:
            self.convs[conv.id] = conv
            if new:
                self.new.add(conv.id)
            else:
                self.versions[conv.id] = conv.state_version or 0
                self.snapshots[conv.id] = _values(conv)
        return conv

    def changes(self, conv_id: str, now: datetime) -> dict[str, Any]:
        """The columns this turn changed; any change moves the version on, so the guard sees every writer."""
        conv = self.convs[conv_id]
        before = self.snapshots[conv_id]
        changed = {k: v for k, v in _values(conv).items() if before.get(k) != v and k not in ("id", "updated_at")}
        if not changed:
            return {}
        if "state_version" not in changed:
            conv.state_version = changed["state_version"] = self.versions[conv_id] + 1
            if self.state is not None and self.state.session_id == conv_id:
                self.state.version = conv.state_version
        changed["updated_at"] = now
        return changed

    def add(self, row: DeclarativeBase, *, conflict: tuple[str, ...] = (), update: tuple[str, ...] = ()) -> None:
        """An extra row written with the turn (or not at all): the general hook for new features."""
        self.extras.append(Extra(row, conflict, update))

    def message(self, row: Message) -> int:
        self.messages.append(row)
        return len(self.messages) - 1

    def put(
        self,
        *,
        kind: str,
        key: str,
        payload: dict[str, Any],
        conversation_id: str | None,
        message: int | None = None,
    ) -> None:
        if any(o.idempotency_key == key for o, _ in self.outbox):
            return
        now = utcnow()
        row = Outbox(
            kind=kind,
            idempotency_key=key,
            conversation_id=conversation_id,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        self.outbox.append((row, message))


@dataclass
class Written:
    outbox: list[Outbox]  # as inserted (ids, message ids filled in)


# --- reading ---------------------------------------------------------------------------------------

_READ = text(
    # Replies this process sent since its last statement are recorded in front of the read
    # (certobot.whatsapp.marks): no round trip of their own, and left out of the backlog below.
    # `live` is looked up once for the four parts that need it. Each part is an index lookup by key
    # (the phone, the live CPF, the live conversation), never a scan of a time window or of every
    # pending row: the statement's cost does not grow with the tables.
    f"WITH {MARK_CTES},\n"
    """
live AS (SELECT * FROM conversations WHERE phone_key = :pk AND status IN ('active', 'handoff') LIMIT 1)
SELECT
  (SELECT row_to_json(c) FROM live c) AS live,
  (SELECT row_to_json(c) FROM conversations c
    WHERE c.phone_key = :pk AND c.status NOT IN ('active', 'handoff') AND c.outcome_kind IS NOT NULL
      AND c.ended_at >= :since AND NOT EXISTS (SELECT 1 FROM live) ORDER BY c.ended_at DESC LIMIT 1) AS recent,
  (SELECT coalesce(json_agg(json_build_object('id', e.id, 'payload', e.payload, 'received_at', e.received_at)
                            ORDER BY e.sent_at, e.id), '[]')
     FROM (SELECT id, payload, received_at, sent_at FROM inbound_events
            WHERE phone_key = :pk AND processed_at IS NULL ORDER BY sent_at, id LIMIT 20) e) AS events,
  (SELECT coalesce(json_agg(json_build_object('k', l.subject_kind, 's', l.subject, 'u', l.locked_until)), '[]')
     FROM identity_locks l
    WHERE (l.subject_kind = 'phone' AND l.subject = :pk)
       OR (l.subject_kind = 'cpf' AND l.subject = (SELECT debtor_cpf_hash FROM live))) AS locks,
  (SELECT coalesce(json_agg(json_build_object('c', f.debtor_cpf, 'p', f.phone_key, 't', f.created_at)), '[]')
     FROM (SELECT debtor_cpf, phone_key, created_at
             FROM (SELECT id, debtor_cpf, phone_key, created_at FROM identity_failures
                    WHERE phone_key = :pk AND created_at > :window
                   UNION
                   SELECT id, debtor_cpf, phone_key, created_at FROM identity_failures
                    WHERE debtor_cpf = (SELECT debtor_cpf_hash FROM live) AND created_at > :window) u
            ORDER BY created_at DESC LIMIT 200) f) AS failures,
  (SELECT coalesce(json_agg(b.debtor_cpf), '[]') FROM blocked_phones b WHERE b.phone_key = :pk) AS blocked,
  EXISTS (SELECT 1 FROM outbox o
           WHERE o.conversation_id = (SELECT id FROM live)
             AND o.kind = 'whatsapp' AND o.status = 'pending'
             AND o.id NOT IN (SELECT id FROM marked)) AS backlog
"""
).bindparams(bindparam("marks", type_=JSONB))


# The same read for several phones in one statement (the turns a worker's pass claimed together,
# made at once: certokit.coalesce): one row per phone, in the order asked, each part the same index
# lookup as above with the phone's own `since` and lock window. The held reply records ride once.
_READ_MANY = text(
    f"WITH {MARK_CTES},\n"
    """
k AS (SELECT * FROM unnest(CAST(:pks AS text[]), CAST(:sinces AS timestamptz[]), CAST(:windows AS timestamptz[]))
        WITH ORDINALITY AS k(pk, since, win, ord))
SELECT
  (SELECT row_to_json(c) FROM conversations c WHERE c.id = live.id) AS live,
  (SELECT row_to_json(c) FROM conversations c
    WHERE c.phone_key = k.pk AND c.status NOT IN ('active', 'handoff') AND c.outcome_kind IS NOT NULL
      AND c.ended_at >= k.since AND live.id IS NULL ORDER BY c.ended_at DESC LIMIT 1) AS recent,
  (SELECT coalesce(json_agg(json_build_object('id', e.id, 'payload', e.payload, 'received_at', e.received_at)
                            ORDER BY e.sent_at, e.id), '[]')
     FROM (SELECT id, payload, received_at, sent_at FROM inbound_events
            WHERE phone_key = k.pk AND processed_at IS NULL ORDER BY sent_at, id LIMIT 20) e) AS events,
  (SELECT coalesce(json_agg(json_build_object('k', l.subject_kind, 's', l.subject, 'u', l.locked_until)), '[]')
     FROM identity_locks l
    WHERE (l.subject_kind = 'phone' AND l.subject = k.pk)
       OR (l.subject_kind = 'cpf' AND l.subject = live.debtor_cpf_hash)) AS locks,
  (SELECT coalesce(json_agg(json_build_object('c', f.debtor_cpf, 'p', f.phone_key, 't', f.created_at)), '[]')
     FROM (SELECT debtor_cpf, phone_key, created_at
             FROM (SELECT id, debtor_cpf, phone_key, created_at FROM identity_failures
                    WHERE phone_key = k.pk AND created_at > k.win
                   UNION
                   SELECT id, debtor_cpf, phone_key, created_at FROM identity_failures
                    WHERE debtor_cpf = live.debtor_cpf_hash AND created_at > k.win) u
            ORDER BY created_at DESC LIMIT 200) f) AS failures,
  (SELECT coalesce(json_agg(b.debtor_cpf), '[]') FROM blocked_phones b WHERE b.phone_key = k.pk) AS blocked,
  EXISTS (SELECT 1 FROM outbox o
           WHERE o.conversation_id = live.id
             AND o.kind = 'whatsapp' AND o.status = 'pending'
             AND o.id NOT IN (SELECT id FROM marked)) AS backlog
FROM k
LEFT JOIN LATERAL (SELECT id, debtor_cpf_hash FROM conversations
                    WHERE phone_key = k.pk AND status IN ('active', 'handoff') LIMIT 1) live ON true
ORDER BY k.ord
"""
).bindparams(bindparam("marks", type_=JSONB))


def _j(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def subject_hash(kind: str, value: str) -> str:
    """An identity subject as stored: the keyed hash of the CPF or of the phone key (idempotent)."""
    return SEAL.cpf_hash(value) if kind == "cpf" else SEAL.phone_hash(value)


def _open_doc(value: Any) -> Any:
    """A sealed JSON column read as JSON text by the one statement: opened here, as the ORM would."""
    return SealedDoc.process_result_value(value, None) if isinstance(value, str) else value


@dataclass(frozen=True)
class _Columns:
    """What a turn needs to know of a table's columns, looked up once instead of on every row."""

    sealed: tuple[tuple[str, Any], ...]  # (name, type) of the columns sealed or hashed at rest
    opened: tuple[tuple[str, Any], ...]  # (name, type) of those a read opens (the ciphers, not the hashes)
    times: frozenset[str]  # timestamps, read back from JSON as text
    values: tuple[tuple[str, str, Any], ...]  # (name, attribute, Python-side default or None)


@functools.cache
def _columns(table: Any) -> _Columns:
    cols = list(table.columns)
    return _Columns(
        sealed=tuple(
            (c.name, c.type) for c in cols if isinstance(c.type, SealedText | SealedJson | SealedBytes | BlindIndex)
        ),
        opened=tuple((c.name, c.type) for c in cols if isinstance(c.type, SealedText | SealedJson)),
        times=frozenset(c.name for c in cols if isinstance(c.type, UtcDateTime)),
        values=tuple(
            (c.name, c.key, c.default.arg if c.default is not None and not c.primary_key else None) for c in cols
        ),
    )


def _opened(table: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """A row read as JSON with its sealed columns opened (the ORM's result processing, by hand)."""
    out = dict(doc)
    for name, type_ in _columns(table).opened:
        v = out.get(name)
        if v is not None:
            out[name] = type_.process_result_value(v, None)
    return out


def _stored(table: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Values as the database keeps them (sealed, hashed): the JSON statement bypasses the column types."""
    out = dict(values)
    for name, type_ in _columns(table).sealed:
        v = out.get(name)
        if v is not None:
            out[name] = type_.process_bind_param(v, None)
    return out


def conversation_from(doc: dict[str, Any] | None) -> Conversation | None:
    """A detached Conversation from a row's JSON (its timestamps parsed back, its sealed columns opened)."""
    if doc is None:
        return None
    doc = _opened(Conversation.__table__, doc)
    times = _columns(Conversation.__table__).times
    values: dict[str, Any] = {}
    for col in Conversation.__table__.columns:
        v = doc.get(col.name)
        values[col.name] = _ts(v) if col.name in times else v
    return Conversation(**values)


def detached(row: Conversation) -> Conversation:
    """A plain copy of a loaded conversation: the turn changes it without any session flushing it."""
    return Conversation(**{c.key: getattr(row, c.key) for c in Conversation.__table__.columns})


async def read_turn(
    engine: AsyncEngine,
    phone_key: str,
    *,
    since: datetime,
    window_start: datetime,
    marks: SentMarks | None = None,
) -> TurnRead:
    if engine.dialect.name != "postgresql":
        if marks is not None:
            await marks.flush(engine)
        return await _read_orm(engine, phone_key, since=since, window_start=window_start)
    riding = marks.take() if marks is not None else []
    try:
        # Phone keys, CPFs and identity subjects are stored as keyed hashes (certokit.sealing).
        params = {
            "pk": SEAL.phone_hash(phone_key),
            "since": since,
            "window": window_start,
            "marks": SentMarks.param(riding),
        }
        (row,) = await rawsql.fetch(engine, _READ, params)
    except BaseException:
        if marks is not None:
            marks.give_back(riding)
        raise
    return _turn_read(phone_key, row)


@dataclass(frozen=True)
class ReadAsk:
    """One phone's turn read, as `read_turn` takes it."""

    phone_key: str
    since: datetime
    window_start: datetime


async def read_turns(engine: AsyncEngine, asks: list[ReadAsk], marks: SentMarks | None = None) -> list[TurnRead]:
    """Several phones' turn reads in one statement (Postgres), answered in the order asked; one ask
    is `read_turn` itself, its statement and plan unchanged."""
    if len(asks) == 1 or engine.dialect.name != "postgresql":
        return [
            await read_turn(engine, a.phone_key, since=a.since, window_start=a.window_start, marks=marks) for a in asks
        ]
    riding = marks.take() if marks is not None else []
    try:
        params = {
            "pks": [SEAL.phone_hash(a.phone_key) for a in asks],
            "sinces": [a.since for a in asks],
            "windows": [a.window_start for a in asks],
            "marks": SentMarks.param(riding),
        }
        rows = await rawsql.fetch(engine, _READ_MANY, params)
    except BaseException:
        if marks is not None:
            marks.give_back(riding)
        raise
    return [_turn_read(a.phone_key, row) for a, row in zip(asks, rows, strict=True)]


def _turn_read(phone_key: str, row: Any) -> TurnRead:
    live, recent, events, locks, failures, blocked, backlog = (_j(v) for v in row)
    return TurnRead(
        phone_key=phone_key,
        live=conversation_from(live),
        recent=conversation_from(recent),
        events=[Pending(e["id"], _open_doc(e["payload"]), _ts(e["received_at"]) or utcnow()) for e in events],
        locks={(lk["k"], lk["s"]): _ts(lk["u"]) or utcnow() for lk in locks},
        failures=[(f["c"], f["p"], _ts(f["t"]) or utcnow()) for f in failures],
        blocked_cpfs=frozenset(blocked),
        backlog=bool(backlog),
    )


async def plan_read(conn: Any) -> None:
    """Plan the turn's read on a connection of the hot pool (certokit.rawsql.warm_pool): run once for a
    phone nobody has, it reads nothing and writes nothing (no held records ride on it)."""
    now = utcnow()
    params = {"pk": "warm-up", "since": now, "window": now, "marks": SentMarks.param([])}
    await rawsql.fetch_on(conn, _READ, params)


_IDENTITY = text(
    """
SELECT
  (SELECT to_json(locked_until) FROM identity_locks WHERE subject_kind = 'cpf' AND subject = :cpf) AS lock,
  (SELECT coalesce(json_agg(json_build_object('c', debtor_cpf, 'p', phone_key, 't', created_at)), '[]')
     FROM identity_failures WHERE debtor_cpf = :cpf AND created_at > :window) AS failures
"""
)


async def read_identity(
    engine: AsyncEngine, cpf: str, *, window_start: datetime
) -> tuple[dict[tuple[str, str], datetime], list[tuple[str, str, datetime]]]:
    """A debtor's identity lock and failures, for a turn that only learned the CPF from the CRM (a
    conversation the debtor opens): the read statement could not know whom to ask about."""
    if engine.dialect.name == "postgresql":
        (row,) = await rawsql.fetch(engine, _IDENTITY, {"cpf": SEAL.cpf_hash(cpf), "window": window_start})
        found = _j(row[1])
        lock = _ts(row[0].strip('"') if isinstance(row[0], str) else row[0])  # a JSON string, decoded or not
        failures = [(f["c"], f["p"], _ts(f["t"]) or utcnow()) for f in found]
    else:
        async with engine.connect() as conn:
            lock = (
                await conn.execute(
                    select(IdentityLock.locked_until).where(
                        IdentityLock.subject_kind == "cpf", IdentityLock.subject == cpf
                    )
                )
            ).scalar()
            rows = (
                await conn.execute(
                    select(IdentityFailure.debtor_cpf, IdentityFailure.phone_key, IdentityFailure.created_at).where(
                        IdentityFailure.debtor_cpf == cpf, IdentityFailure.created_at > window_start
                    )
                )
            ).all()
            failures = [(c, p, t) for c, p, t in rows]
    return ({("cpf", SEAL.cpf_hash(cpf)): lock} if lock is not None else {}), failures


async def _read_orm(engine: AsyncEngine, phone_key: str, *, since: datetime, window_start: datetime) -> TurnRead:
    async with engine.connect() as conn:
        live_row = (
            await conn.execute(
                select(Conversation.__table__).where(
                    Conversation.phone_key == phone_key, Conversation.status.in_(LIVE_STATUSES)
                )
            )
        ).first()
        recent_row = None
        if live_row is None:  # a message after an outcome: only without a live conversation
            recent_row = (
                await conn.execute(
                    select(Conversation.__table__)
                    .where(
                        Conversation.phone_key == phone_key,
                        Conversation.status.not_in(LIVE_STATUSES),
                        Conversation.outcome_kind.is_not(None),
                        Conversation.ended_at >= since,
                    )
                    .order_by(Conversation.ended_at.desc())
                    .limit(1)
                )
            ).first()
        events = (
            await conn.execute(
                select(InboundEvent.id, InboundEvent.payload, InboundEvent.received_at)
                .where(InboundEvent.phone_key == phone_key, InboundEvent.processed_at.is_(None))
                .order_by(InboundEvent.sent_at, InboundEvent.id)
                .limit(20)
            )
        ).all()
        live = Conversation(**live_row._mapping) if live_row is not None else None
        recent = Conversation(**recent_row._mapping) if recent_row is not None else None
        cpf = live.debtor_cpf if live is not None else None
        subjects = [("phone", phone_key)] + ([("cpf", cpf)] if cpf else [])
        locks: dict[tuple[str, str], datetime] = {}
        for kind, subject in subjects:
            until = (
                await conn.execute(
                    select(IdentityLock.locked_until).where(
                        IdentityLock.subject_kind == kind, IdentityLock.subject == subject
                    )
                )
            ).scalar()
            if until is not None:
                locks[(kind, subject_hash(kind, subject))] = until
        who = IdentityFailure.phone_key == phone_key
        if cpf:
            who = who | (IdentityFailure.debtor_cpf == cpf)
        failures = (
            await conn.execute(
                select(IdentityFailure.debtor_cpf, IdentityFailure.phone_key, IdentityFailure.created_at).where(
                    who, IdentityFailure.created_at > window_start
                )
            )
        ).all()
        blocked = (
            await conn.execute(select(BlockedPhone.debtor_cpf).where(BlockedPhone.phone_key == phone_key))
        ).scalars()
        backlog = False
        if live is not None:
            backlog = (
                await conn.execute(
                    select(Outbox.id)
                    .where(Outbox.conversation_id == live.id, Outbox.kind == "whatsapp", Outbox.status == "pending")
                    .limit(1)
                )
            ).first() is not None
    return TurnRead(
        phone_key=phone_key,
        live=live,
        recent=recent,
        events=[Pending(i, p, r) for i, p, r in events],
        locks=locks,
        failures=[(c, p, t) for c, p, t in failures],
        blocked_cpfs=frozenset(blocked),
        backlog=backlog,
    )


# --- writing ---------------------------------------------------------------------------------------


def _values(row: DeclarativeBase) -> dict[str, Any]:
    """Column values of an ORM object, with the Python-side defaults a flush would have applied."""
    out: dict[str, Any] = {}
    for name, key, default in _columns(row.__table__).values:
        v = getattr(row, key, None)
        if v is None and default is not None:
            v = default(None) if callable(default) else default
        out[name] = v
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def _doc(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in values.items() if v is not None}


# --- the write's one statement ---------------------------------------------------------------------
#
# Its text is fixed: every turn's rows go in as JSON arrays (the new conversations, the changed ones
# with the columns they changed, the transcript lines, the outbox rows, the events), and an empty
# array writes nothing. So the statement is parsed and planned once per connection, whatever the
# turn did, and the turns that are written at the same moment go together in one statement
# (`TurnWriter`): a burst's turns cost one round trip and one commit between them, not one each.
# Only the extra rows (`TurnWork.add`) name their own tables: each set of those tables is a shape of
# its own, as fixed as the rest (usually none; a CPF turn's validation attempt).


def _table_columns(table: Any) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


_CONV_SET = ",\n      ".join(
    f"{c} = CASE WHEN x.d ? '{c}' THEN r.{c} ELSE c.{c} END"
    for c in _table_columns(Conversation.__table__)
    if c != "id"
)
_CONV_COLS = ", ".join(_table_columns(Conversation.__table__))
_MSG_COLS = [c for c in _table_columns(Message.__table__) if c != "id"]
_OUT_COLS = [c for c in _table_columns(Outbox.__table__) if c not in ("id", "message_id")]

_WRITE_BASE = f"""WITH {MARK_CTES},
new_convs AS (
  INSERT INTO conversations ({_CONV_COLS})
  SELECT {_CONV_COLS} FROM jsonb_populate_recordset(NULL::conversations, :new_convs)
  ON CONFLICT DO NOTHING
  RETURNING id),
changed_convs AS (
  -- Only the columns a turn changed are in its document; the others keep what the row holds. The
  -- ids again as an array, a key condition: however many rows the plan guesses the JSON holds, each
  -- conversation is one probe of the primary key (certobot.whatsapp.marks says why).
  UPDATE conversations c SET
      {_CONV_SET}
    FROM jsonb_array_elements(:changed) x0
    CROSS JOIN LATERAL (SELECT x0.value ->> 'id' AS id, (x0.value ->> 'v')::int AS v, x0.value -> 'd' AS d) x
    CROSS JOIN LATERAL jsonb_populate_record(NULL::conversations, x.d) r
   WHERE c.id = x.id AND c.state_version = x.v
     AND c.id = ANY (ARRAY(SELECT e ->> 'id' FROM jsonb_array_elements(:changed) e))
  RETURNING c.id),
line_ids AS (
  -- The sequence is looked up once (an InitPlan: a catalog search), not once per line.
  SELECT n, nextval((SELECT pg_get_serial_sequence('messages', 'id'))::regclass) AS id
    FROM generate_series(1, jsonb_array_length(:lines)) n),
lines AS (
  INSERT INTO messages (id, {", ".join(_MSG_COLS)})
  SELECT i.id, {", ".join("r." + c for c in _MSG_COLS)}
    FROM jsonb_array_elements(:lines) WITH ORDINALITY e(doc, n)
    JOIN line_ids i ON i.n = e.n
    CROSS JOIN LATERAL jsonb_populate_record(NULL::messages, e.doc) r
   ORDER BY e.n
  RETURNING id),
out_rows AS (
  -- `_line`: the row's transcript line, by its place in :lines (1-based), or none.
  INSERT INTO outbox ({", ".join(_OUT_COLS)}, message_id)
  SELECT {", ".join("r." + c for c in _OUT_COLS)}, i.id
    FROM jsonb_array_elements(:outbox) WITH ORDINALITY e(doc, n)
    CROSS JOIN LATERAL jsonb_populate_record(NULL::outbox, e.doc) r
    LEFT JOIN line_ids i ON i.n = (e.doc ->> '_line')::int
   ORDER BY e.n
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, kind, idempotency_key, conversation_id, payload, message_id, locked_until),
done_events AS (
  -- The phones too, the first column of the unprocessed events' partial index: by id alone,
  -- Postgres (whose statistics see next to no unprocessed events) prefers that index to the
  -- primary key and reads every unprocessed event, hundreds under a burst, to find the turn's one.
  UPDATE inbound_events SET processed_at = now(), payload = NULL
   WHERE phone_key = ANY (ARRAY(SELECT jsonb_array_elements_text(:event_phones)))
     AND id = ANY (ARRAY(SELECT jsonb_array_elements_text(:events)::bigint))
     AND processed_at IS NULL
  RETURNING id){{extras}}
-- A failed guard raises (a cast that cannot succeed; random() keeps it from being folded at plan
-- time), so the whole statement is undone: nothing of any of its turns is written.
SELECT CASE WHEN (SELECT count(*) FROM new_convs) = jsonb_array_length(:new_convs)
             AND (SELECT count(*) FROM changed_convs) = jsonb_array_length(:changed)
             AND (SELECT count(*) FROM done_events) = jsonb_array_length(:events)
            THEN 1 ELSE ('{CONFLICT}' || random()::text)::int END AS ok,
       (SELECT coalesce(json_agg(row_to_json(o)), '[]') FROM out_rows o) AS outbox
"""
_WRITE_JSON = ("marks", "new_convs", "changed", "lines", "outbox", "events", "event_phones")


@dataclass(frozen=True)
class _ExtraKind:
    """Extra rows of one table written the same way: the part of the shape they add."""

    table: Any  # the Table
    conflict: tuple[str, ...]
    update: tuple[str, ...]
    with_id: bool  # the rows carry their own id (else the table's sequence gives one)


Shape = tuple[_ExtraKind, ...]


def _extra_kind(extra: Extra) -> _ExtraKind:
    table_ = extra.row.__table__
    # A key is never sealed: whether the row brings its own id can be read off the plain values.
    return _ExtraKind(table_, extra.conflict, extra.update, _values(extra.row).get("id") is not None)


def shape(work: TurnWork) -> Shape:
    """The statement's shape for this turn: which extra tables it writes, and how."""
    return tuple(sorted({_extra_kind(e) for e in work.extras}, key=lambda k: (k.table.name, repr(k))))


@functools.lru_cache(maxsize=64)
def write_clause(kinds: Shape) -> TextClause:
    """The write statement of a shape, built and parsed once."""
    parts = []
    for i, kind in enumerate(kinds):
        cols = [c for c in _table_columns(kind.table) if kind.with_id or c != "id"]
        if kind.conflict and kind.update:
            tail = f"ON CONFLICT ({', '.join(kind.conflict)}) DO UPDATE SET " + ", ".join(
                f"{c} = EXCLUDED.{c}" for c in kind.update
            )
        elif kind.conflict:
            tail = f"ON CONFLICT ({', '.join(kind.conflict)}) DO NOTHING"
        else:
            tail = ""
        parts.append(
            f",\nextra{i} AS (INSERT INTO {kind.table.name} ({', '.join(cols)}) SELECT {', '.join(cols)} "
            f"FROM jsonb_populate_recordset(NULL::{kind.table.name}, :extra{i}) {tail})"
        )
    names = (*_WRITE_JSON, *(f"extra{i}" for i in range(len(kinds))))
    return text(_WRITE_BASE.replace("{extras}", "".join(parts))).bindparams(*(bindparam(n, type_=JSONB) for n in names))


def write_params(works: list[TurnWork], marks: list[Mark] | None = None, kinds: Shape = ()) -> dict[str, Any]:
    """The statement's parameters for turns of one shape (`kinds`), written together."""
    now = utcnow()
    new_convs: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    events: list[int] = []
    phones: list[str] = []
    extras: dict[_ExtraKind, list[dict[str, Any]]] = {}
    for work in works:
        for conv_id, conv in work.convs.items():
            if conv_id in work.new:
                values = _stored(Conversation.__table__, _values(conv))
                values["created_at"] = values.get("created_at") or now
                values["updated_at"] = now
                new_convs.append(_doc(values))
                continue
            change = work.changes(conv_id, now)
            if change:
                change = _stored(Conversation.__table__, change)
                doc = _doc(change) | {k: None for k, v in change.items() if v is None}
                changed.append({"id": conv_id, "v": work.versions[conv_id], "d": doc})
        first_line = len(lines)
        lines.extend(_doc(_stored(Message.__table__, _values(m))) for m in work.messages)
        for row, ref in work.outbox:
            values = _stored(Outbox.__table__, _values(row))
            if work.lease and row.kind == "whatsapp":
                values["locked_until"] = now + REPLY_LEASE
            doc = _doc(values)
            if ref is not None:
                doc["_line"] = first_line + ref + 1
            outbox.append(doc)
        if work.events:
            if work.read is None:
                raise ValueError("a turn that marks events names its phone (TurnWork.read)")
            events.extend(work.events)
            phones.append(work.read.phone_key)
        for extra in work.extras:
            kind = _extra_kind(extra)
            values = _stored(kind.table, _values(extra.row))
            if not kind.with_id:
                values.pop("id", None)
            extras.setdefault(kind, []).append(_doc(values))
    params: dict[str, Any] = {
        "marks": SentMarks.param(marks or []),
        "new_convs": new_convs,
        "changed": changed,
        "lines": lines,
        "outbox": outbox,
        "events": events,
        "event_phones": phones,
    }
    for i, kind in enumerate(kinds):
        params[f"extra{i}"] = extras.get(kind, [])
    return params


async def write_turn(engine: AsyncEngine, work: TurnWork, marks: SentMarks | None = None) -> Written:
    """Apply the turn in one statement (Postgres) or one short transaction; `TurnConflict` if guarded out."""
    if engine.dialect.name != "postgresql":
        if marks is not None:
            await marks.flush(engine)
        return await _write_orm(engine, work)
    (written,) = await write_turns(engine, [work], marks)
    return written


async def write_turns(engine: AsyncEngine, works: list[TurnWork], marks: SentMarks | None = None) -> list[Written]:
    """Turns of one shape written in one statement (Postgres), each answered with its own outbox rows.

    All or nothing: a guard that fails for any of them (`TurnConflict`) writes none; `TurnWriter`
    then writes each alone, so only the turn that met another writer is read and decided again.
    """
    kinds = shape(works[0])
    riding = marks.take() if marks is not None else []
    try:
        (row,) = await rawsql.fetch(engine, write_clause(kinds), write_params(works, riding, kinds))
    except BaseException as exc:
        if marks is not None:
            marks.give_back(riding)  # undone with the statement: the next one records them
        if isinstance(exc, DBAPIError) and CONFLICT in str(exc.orig):
            raise TurnConflict() from None
        raise
    out = row[1] if isinstance(row[1], list) else json.loads(row[1])
    by_key = {d["idempotency_key"]: _outbox_from(d) for d in out}
    return [Written([by_key[o.idempotency_key] for o, _ in w.outbox if o.idempotency_key in by_key]) for w in works]


def _alone(exc: Exception) -> bool:
    """Could one turn of a statement have caused this? Then each is written again alone: a guard
    (another writer got there first), a value refused, or two turns' extra rows on one key (21000)."""
    return isinstance(exc, TurnConflict) or item_fault(exc) or sqlstate(exc) == "21000"


class TurnWriter:
    """The turns of one process written together when they are ready together (`certokit.coalesce`).

    A worker's pass starts its turns at once and reads them in one statement; they finish deciding
    within the same moments, and each used to pay its own write: a round trip, a commit, a plan
    lookup. Here the first write goes at once and the ones that arrive meanwhile go together in the
    next statement, one per shape. Light traffic changes nothing: a turn finds nothing running.
    """

    def __init__(self, engine: AsyncEngine, marks: SentMarks | None = None) -> None:
        self.engine = engine
        self.marks = marks
        self._by_shape: dict[Shape, Coalescer[TurnWork, Written]] = {}

    @property
    def statements(self) -> int:
        return sum(c.statements for c in self._by_shape.values())

    async def __call__(self, work: TurnWork) -> Written:
        if self.engine.dialect.name != "postgresql":
            return await write_turn(self.engine, work, self.marks)
        key = shape(work)
        together = self._by_shape.get(key)
        if together is None:
            together = self._by_shape[key] = Coalescer(
                lambda works: write_turns(self.engine, works, self.marks), alone=_alone
            )
        (written,) = await together([work])
        return written


async def plan_turn(conn: Any) -> None:
    """Plan the turn's read and its write (the usual shape, no extra rows) on a connection of the hot
    pool (certokit.rawsql.warm_pool): for a phone nobody has and with every array empty, they read
    and write nothing, and no held records ride on them."""
    await plan_read(conn)
    await rawsql.fetch_on(conn, write_clause(()), write_params([]))


def _outbox_from(d: dict[str, Any]) -> Outbox:
    return Outbox(
        id=d["id"],
        kind=d["kind"],
        idempotency_key=d["idempotency_key"],
        conversation_id=d["conversation_id"],
        payload=_open_doc(d["payload"]),
        message_id=d.get("message_id"),
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        locked_until=_ts(d.get("locked_until")),
    )


async def _write_orm(engine: AsyncEngine, work: TurnWork) -> Written:
    """The same work in one transaction of Core statements (SQLite, and the tests of the fallback)."""
    async with engine.begin() as conn:
        return await apply_work(conn, work)


async def apply_work(conn: AsyncConnection, work: TurnWork) -> Written:
    now = utcnow()
    dialect = conn.dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    for conv_id, conv in work.convs.items():
        if conv_id in work.new:
            values = _values(conv)
            values["updated_at"] = now
            result = await conn.execute(ins(Conversation).values(**values).on_conflict_do_nothing())
            if not result.rowcount:
                raise TurnConflict()
            continue
        changed = work.changes(conv_id, now)
        if not changed:
            continue
        result = await conn.execute(
            update(Conversation)
            .where(Conversation.id == conv_id, Conversation.state_version == work.versions[conv_id])
            .values(**changed)
        )
        if result.rowcount != 1:
            raise TurnConflict()
    if work.events:
        result = await conn.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(work.events), InboundEvent.processed_at.is_(None))
            .values(processed_at=now, payload=None)
        )
        if result.rowcount != len(work.events):
            raise TurnConflict()
    message_ids: list[int] = []
    for m in work.messages:
        values = {k: v for k, v in _values(m).items() if k != "id"}
        inserted = await conn.execute(insert(Message).values(**values).returning(Message.id))
        message_ids.append(int(inserted.scalar_one()))
    out: list[Outbox] = []
    for row, ref in work.outbox:
        values = {k: v for k, v in _values(row).items() if k != "id"}
        if ref is not None:
            values["message_id"] = message_ids[ref]
        if work.lease and row.kind == "whatsapp":
            values["locked_until"] = now + REPLY_LEASE
        got = (
            await conn.execute(
                ins(Outbox)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(Outbox.id)
            )
        ).scalar()
        if got is not None:
            out.append(_outbox_from({**values, "id": got}))
    for extra in work.extras:
        values = {k: v for k, v in _values(extra.row).items() if not (k == "id" and v is None)}
        stmt = ins(type(extra.row)).values(**values)
        if extra.conflict and extra.update:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(extra.conflict), set_={c: values[c] for c in extra.update}
            )
        elif extra.conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(extra.conflict))
        await conn.execute(stmt)
    return Written(out)
