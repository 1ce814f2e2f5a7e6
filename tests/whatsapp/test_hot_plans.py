"""Under a burst, each hot statement reads the rows it names, not every pending one.

The hot path's connections plan each statement once (certokit.db.make_engine, `generic_plans`), from
the statistics of that moment. Here they are those of empty tables — a fresh deployment, or the
minutes between two analyses — while hundreds of replies wait to be recorded and hundreds of events
to be processed, as in a burst. Recording two sent replies, Meta's statuses naming two, a turn's read
and its marking of its one event must each stay a handful of rows, whatever else is pending: before,
each read every pending reply or event (and every message) to match its two.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from certobot.negotiation.models import Conversation
from certobot.negotiation.turnstore import _READ, TurnRead, TurnWork, write_clause, write_params
from certobot.whatsapp.marks import _FLUSH, Mark, SentMarks
from certobot.whatsapp.statuses import _STORE
from certokit import rawsql
from certokit.db import make_engine

BURST = 400  # pending replies, queued lines and unprocessed events of other debtors
MOST = 6  # rows any one scan may read for a statement naming one or two


@pytest.fixture
async def hot(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The hot pool's settings, statistics of empty tables, then a burst's worth of pending work."""
    async with engine.begin() as conn:
        for table in ("outbox", "messages", "inbound_events", "conversations"):
            await conn.execute(text(f"TRUNCATE bot.{table} RESTART IDENTITY CASCADE"))
            await conn.execute(text(f"ANALYZE bot.{table}"))
        await conn.execute(
            text(
                "INSERT INTO bot.conversations (id, phone, phone_key, status, phase, origin, created_at,"
                " updated_at, state_version, validation_attempts)"
                " SELECT 'c' || g, 'p' || g, 'k' || g, 'active', 'greeting', 'inbound', now(), now(), 1, 0"
                f" FROM generate_series(1, {BURST}) g"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO bot.messages (conversation_id, direction, author, phone, kind, body, status,"
                " created_at, updated_at)"
                " SELECT 'c' || g, 'out', 'bot', 'p' || g, 'text', 'b', 'queued', now(), now()"
                f" FROM generate_series(1, {BURST}) g"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO bot.outbox (kind, idempotency_key, conversation_id, payload, status, attempts,"
                " next_attempt_at, created_at, message_id)"
                " SELECT 'whatsapp', 'k' || g, 'c' || g, '{}', 'pending', 0, now(), now(), g"
                f" FROM generate_series(1, {BURST}) g"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO bot.inbound_events (wamid, phone_key, wa_id, sent_at, payload, received_at)"
                " SELECT 'wamid.' || g, 'k' || g, 'p' || g, now(), '{}', now()"
                f" FROM generate_series(1, {BURST}) g"
            )
        )
    hot = make_engine(database_url, schema="bot", generic_plans=True)
    yield hot
    await hot.dispose()


async def _scans(engine: AsyncEngine, clause: TextClause, params: dict[str, Any]) -> dict[str, int]:
    """Rows each table's scans read when the statement runs its generic plan (most per table)."""
    form = rawsql.positional(clause)
    args = [json.dumps(params[n]) if n in form.json else params[n] for n in form.names]
    async with rawsql.driver_connection(engine) as conn:
        await conn.execute(f"PREPARE hot AS {form.sql}")
        try:
            literal = ", ".join(_literal(a) for a in args)
            out = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE hot({literal})")
            (plan,) = json.loads(out) if isinstance(out, str) else out
        finally:
            await conn.execute("DEALLOCATE hot")
    read: dict[str, int] = {}

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            rows = int(node["Actual Rows"] * node["Actual Loops"]) + int(node.get("Rows Removed by Filter", 0))
            read[node["Relation Name"]] = max(read.get(node["Relation Name"], 0), rows)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return read


def _literal(value: Any) -> str:
    """A parameter as EXECUTE's argument; Postgres casts it to the type the statement gave it."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def _named(read: dict[str, int]) -> None:
    assert read, "the plan read no table"
    assert max(read.values()) <= MOST, f"rows read per table: {read}"


async def test_recording_two_sent_replies_reads_those_two(hot: AsyncEngine) -> None:
    marks = [Mark(7, 7, "wamid.out.7"), Mark(300, 300, "wamid.out.300")]
    _named(await _scans(hot, _FLUSH, {"marks": SentMarks.param(marks)}))


async def test_meta_statuses_naming_two_replies_read_those_two(hot: AsyncEngine) -> None:
    rows = [
        {
            "ord": i,
            "wamid": f"wamid.out.{n}",
            "status": "sent",
            "payload": "x",
            "rank": 1,
            "error": None,
            "outbox_id": n,
        }
        for i, n in enumerate((12, 250))
    ]
    _named(await _scans(hot, _STORE, {"rows": rows}))


async def test_a_turn_reads_and_marks_its_own_event_only(hot: AsyncEngine) -> None:
    now = datetime.now(UTC)
    read = {"marks": SentMarks.param([Mark(5, 5, None)]), "pk": "k42", "since": now - timedelta(hours=1)}
    read["window"] = now - timedelta(hours=24)
    _named(await _scans(hot, _READ, read))
    turn = TurnRead("k42", None, None, [], {}, [], frozenset(), False)
    _named(await _scans(hot, write_clause(()), write_params([TurnWork(read=turn, events=[42], lease=False)])))


async def test_turns_written_together_touch_their_own_rows_only(hot: AsyncEngine) -> None:
    """Two turns in one statement: each conversation, each event, found by its key, not by a scan."""
    works = []
    for n in (42, 300):
        conv = Conversation(id=f"c{n}", phone=f"p{n}", phone_key=f"k{n}", status="active", phase="greeting")
        conv.origin, conv.state_version, conv.validation_attempts = "inbound", 1, 0
        work = TurnWork(read=TurnRead(f"k{n}", conv, None, [], {}, [], frozenset(), False), events=[n], lease=False)
        work.track(conv)
        conv.phase = "negotiation"
        works.append(work)
    _named(await _scans(hot, write_clause(()), write_params(works)))


async def test_a_started_process_has_its_hot_pool_open_with_the_read_planned(database_url: str) -> None:
    """A burst right after a start finds the connections open and the turn's read planned on each:
    the first messages do not pay Postgres a backend start and a plan of several milliseconds apiece."""
    from certobot.negotiation.turnstore import plan_read

    hot = make_engine(database_url, schema="bot", generic_plans=True, pool_size=4, max_overflow=1)
    try:
        assert await rawsql.warm_pool(hot, 4, plan_read) == 4
        assert hot.pool.checkedin() == 4  # type: ignore[attr-defined]
        read_sql = rawsql.positional(_READ).sql
        seen: list[int] = []
        held = await _hold(hot, 4)
        try:
            for conn in held:
                seen.append(
                    int(
                        await conn.driver_connection.fetchval(
                            "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements WHERE statement = $1",
                            read_sql,
                        )
                    )
                )
        finally:
            for conn in held:
                await greenlet_spawn(conn.close)
        assert seen == [1, 1, 1, 1]  # each connection made the read's plan before any turn
        assert hot.pool.checkedin() == 4  # type: ignore[attr-defined]  # none opened for this check
    finally:
        await hot.dispose()


async def _hold(engine: AsyncEngine, n: int) -> list[Any]:
    return [await engine.raw_connection() for _ in range(n)]


async def test_a_warm_up_that_cannot_open_every_connection_leaves_the_pool_as_it_was(database_url: str) -> None:
    """Asking for more than the pool can hold at once (size + overflow) warms none and never hangs."""
    from certobot.negotiation.turnstore import plan_read

    small = make_engine(database_url, schema="bot", generic_plans=True, pool_size=1, max_overflow=0)
    try:
        small.pool._timeout = 1  # type: ignore[attr-defined]  # a checkout waits a second, not thirty
        assert await rawsql.warm_pool(small, 2, plan_read) == 0
    finally:
        await small.dispose()
