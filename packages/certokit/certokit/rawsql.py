"""Hot statements sent straight through asyncpg, on a connection of the engine's own pool.

The bot's turn is a few statements (read, write, the sends' record); each one's text and JSON are
built by the product's own code. SQLAlchemy's execution machinery around them — the autocommit switch
on checkout and back, the compiled cache, the cursor adapter and its greenlet hop, result metadata —
cost more CPU than asyncpg's own execution (a profile of the load test: SQLAlchemy's frames 14% of the
bot's CPU, asyncpg's 19%). Here a `text()` clause is compiled once to asyncpg's positional form and
run with asyncpg's `fetch`, outside any transaction (autocommit: the statement is its own
transaction, no BEGIN/COMMIT), as asyncpg's own prepared statement; the pool, its connections and
their settings (search_path, the JSON codecs SQLAlchemy installed) are the engine's.

Errors keep SQLAlchemy's shape, so callers and their retry rules are unchanged: a connection lost or
a server going away is an `OperationalError` (Postgres unavailable, not a bug), any other error a
`DBAPIError` whose `orig` is asyncpg's. A connection that failed, or whose statement was interrupted
(cancelled), is discarded, never handed to the next caller as it is.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import asyncpg
from pydantic_core import PydanticSerializationError, to_json
from sqlalchemy import JSON, ClauseElement, TextClause
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

__all__ = ["UNAVAILABLE", "Positional", "driver_connection", "fetch", "fetch_on", "positional", "warm_pool"]

# A connection that broke or a server going away: Postgres is unavailable, not a bug.
UNAVAILABLE = (
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    OSError,
    TimeoutError,
)

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Positional:
    """A clause as asyncpg takes it: `$n` placeholders and the parameter names in their order."""

    sql: str
    names: tuple[str, ...]
    json: frozenset[str]  # parameters of a JSON type: sent as their text, as SQLAlchemy would
    jsonb: frozenset[str] = frozenset()  # those of JSONB, whose text Postgres parses and never keeps
    # Values a Core statement carries itself (`x == "literal"`), sent unless the caller gives them.
    defaults: tuple[tuple[str, Any], ...] = ()


@lru_cache(maxsize=512)
def positional(clause: ClauseElement) -> Positional:
    """Compiled once per clause (the callers keep their clauses: one per statement shape): a `text()`
    clause, or a Core statement built once at import."""
    compiled = cast(SQLCompiler, clause.compile(dialect=_DIALECT))
    names = tuple(compiled.positiontup or ())
    as_json = frozenset(n for n, b in compiled.binds.items() if isinstance(b.type, JSON))
    as_jsonb = frozenset(n for n, b in compiled.binds.items() if isinstance(b.type, JSONB))
    defaults = tuple((n, b.value) for n, b in compiled.binds.items() if not b.required and b.callable is None)
    return Positional(compiled.string, names, as_json, as_jsonb, defaults)


def _jsonb_text(value: Any) -> str:
    """A JSONB parameter's text, by pydantic-core's encoder: about a fifth of `json.dumps`'s CPU.

    Postgres keeps the parsed value, not the text, so the differences of spelling (no spaces after
    separators, UTF-8 rather than `\\u` escapes) store the very same value. A value the encoder
    refuses (a lone surrogate) goes the old way, to be refused as it was.
    """
    try:
        return to_json(value).decode()
    except (PydanticSerializationError, UnicodeDecodeError):
        return json.dumps(value)


def _json_text(form: Positional, name: str, value: Any) -> str:
    return _jsonb_text(value) if name in form.jsonb else json.dumps(value)


@asynccontextmanager
async def driver_connection(engine: AsyncEngine, statement: str = "") -> AsyncIterator[Any]:
    """asyncpg's connection of one of the engine's pooled connections, outside any transaction."""
    raw = await engine.raw_connection()
    try:
        yield raw.driver_connection
    except BaseException as exc:
        # Broken, or interrupted mid-statement (cancelled): never handed to the next caller as it is.
        await greenlet_spawn(raw.invalidate)
        if isinstance(exc, UNAVAILABLE):
            raise OperationalError(statement, None, exc, connection_invalidated=True) from exc
        if isinstance(exc, asyncpg.PostgresError):
            raise DBAPIError(statement, None, exc) from exc
        raise
    finally:
        await greenlet_spawn(raw.close)  # back to the pool, which may close it (past its size): I/O


async def fetch(engine: AsyncEngine, clause: TextClause, params: Mapping[str, Any]) -> list[Any]:
    """Run `clause` with `params` (by name, as for `conn.execute`) in one round trip; asyncpg's records."""
    async with driver_connection(engine, positional(clause).sql) as conn:
        return await fetch_on(conn, clause, params)


async def fetch_on(conn: Any, clause: ClauseElement, params: Mapping[str, Any]) -> list[Any]:
    """`fetch` on a connection the caller holds (`driver_connection`)."""
    form = positional(clause)
    if form.defaults:
        params = {**dict(form.defaults), **params}
    args = [_json_text(form, n, params[n]) if n in form.json else params[n] for n in form.names]
    return list(await conn.fetch(form.sql, *args))


async def warm_pool(
    engine: AsyncEngine, connections: int, prepare: Callable[[Any], Awaitable[None]], *, within: float = 10.0
) -> int:
    """Open `connections` of the engine's pool at once and run `prepare` on each; how many were warmed.

    A pool fills only when a burst needs it: each connection opened then costs Postgres a backend
    start and, under generic plans, each hot statement's plan on its first call — a few milliseconds
    apiece for the turn's read — all landing on the burst's first messages. Warmed at start, they are
    paid before the first webhook. Best effort, `within` seconds at most: a warm-up that fails (the
    database not there yet, fewer connections than asked) leaves the pool to fill as it always did.
    """
    if engine.dialect.name != "postgresql" or connections <= 0:
        return 0
    opened = asyncio.Barrier(connections)  # all held at once, or the pool would hand out the same one

    async def one() -> bool:
        try:
            async with driver_connection(engine) as conn:
                try:
                    await opened.wait()
                except asyncio.BrokenBarrierError:
                    return False
                await prepare(conn)
                return True
        except Exception:
            await opened.abort()  # one could not open: the others stop waiting for it
            raise

    try:
        async with asyncio.timeout(within):
            results = await asyncio.gather(*(one() for _ in range(connections)), return_exceptions=True)
    except TimeoutError:
        return 0
    return sum(1 for r in results if r is True)
