"""Database plumbing shared by both services: column types, engine, sessions, transactions.

No declarative base here: each service owns its own (`certobot.base.BotBase`, `mock_crm.base.CrmBase`)
and its own tables; `NAMING` keeps constraint names alike in both."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on Postgres, JSON elsewhere (the embedded SQLite default).
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    # WAL lets the bot and the CRM of `certobot up` read while the other writes.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def async_database_url(v: str) -> str:
    """The async form of a database URL, or a Portuguese error naming the accepted forms."""
    if v.startswith(("postgres://", "postgresql://")):
        # Hosting platforms hand out sync URLs; the services are async only.
        return re.sub(r"^postgres(ql)?://", "postgresql+asyncpg://", v)
    if not v.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise ValueError("use postgresql+asyncpg://… ou sqlite+aiosqlite:///…")
    return v


@dataclass(frozen=True)
class Pool:
    size: int  # kept open once opened
    overflow: int  # opened under a burst, closed when given back


@dataclass(frozen=True)
class PoolSplit:
    """A process's Postgres connections, all pools together: the hot path's and the ORM's."""

    hot: Pool
    orm: Pool


def pool_of(total: int) -> Pool:
    """`total` connections as one pool: a sixth of them (at least 1) only opened under a burst."""
    overflow = max(1, total // 6)
    return Pool(size=total - overflow, overflow=overflow)


def pool_split(total: int) -> PoolSplit:
    """`total` connections shared out: a quarter (at least 2) for the ORM's pool, half of it kept; the
    rest for the hot path's, a sixth of it (at least 1) overflow. 40 gives 25 + 5 hot and 5 + 5 ORM.

    The hot path takes most: it runs every webhook and turn; the ORM's statements are the console's,
    the sweeper's and the campaigns', one or two at a time.
    """
    orm = max(2, total // 4)
    hot = total - orm
    return PoolSplit(hot=pool_of(hot), orm=Pool(size=orm // 2, overflow=orm - orm // 2))


def make_engine(
    url: str, *, schema: str | None = None, pool_size: int = 25, max_overflow: int = 5, generic_plans: bool = False
) -> AsyncEngine:
    """An engine; on Postgres, `schema` becomes the connection's search_path.

    Each service keeps its tables in a schema of its own (`bot`, `crm`), so one database can host
    both without either seeing the other's tables; unqualified names (models, raw SQL, Alembic's
    version table) resolve there. SQLite has no schemas: each service gets its own file instead.

    `generic_plans`: every statement on these connections runs the plan Postgres makes once per
    connection, without the five plans for the values of each call it otherwise makes first (for a
    hot statement, planning cost more than running it). Only for an engine whose statements were
    all checked to have a generic plan as good: an ORM filter such as `status = $1` gets a generic
    plan that cannot tell the few pending rows from the millions done, and scans. Their joins are
    nested loops over keys (no hash or merge joins): each names the few rows it touches.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # 25 kept + 5 overflow, the same 30 at most as before: a burst's connections stay open for the
    # next one instead of being closed and opened again (a connection costs a TLS attempt, an
    # authentication and a session start; asyncpg's prepared statements die with it).
    settings: dict[str, str] = {}
    if schema is not None:
        settings["search_path"] = schema
    if generic_plans:
        settings["plan_cache_mode"] = "force_generic_plan"
        # These statements touch a few rows they name (ids, wamids, a phone) in tables that grow. A
        # generic plan is made once, from the statistics of that moment: made while a table looked
        # small (a new database, or between two analyses), it scans it for good; made while few
        # replies were pending, it hashes every pending one to match the two it names. Under a
        # burst, each such statement read thousands of rows to write two. So the plan probes keys:
        # no sequential scans, no hash or merge joins (Postgres still scans where no index serves).
        settings["enable_seqscan"] = "off"
        settings["enable_hashjoin"] = "off"
        settings["enable_mergejoin"] = "off"
    # No pre-ping: it costs a round trip on every checkout (several per turn). A connection broken by
    # a Postgres restart fails its one operation, SQLAlchemy then discards the whole pool, and the
    # caller's retry (Meta's redelivery, the pipeline's at-least-once loop) finds fresh connections.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        connect_args={"server_settings": settings} if settings else {},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work for a job: commit on success, roll back on error."""
    async with sessionmaker() as session, session.begin():
        yield session


@asynccontextmanager
async def one_statement(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncConnection]:
    """A connection of the sessionmaker's engine in autocommit: each statement is its own transaction.

    For a single statement that needs no transaction around it (a lookup, an upsert, one UPDATE): one
    round trip instead of three (BEGIN, the statement, COMMIT or ROLLBACK). Same pool, same settings.
    """
    engine = sessionmaker.kw["bind"]
    auto: AsyncEngine | None = _AUTOCOMMIT.get(engine)
    if auto is None:
        auto = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with auto.connect() as conn:
        yield conn


_AUTOCOMMIT: dict[AsyncEngine, AsyncEngine] = {}


def autocommit_sessions(sessionmaker: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions of the same engine in autocommit on Postgres (`session.begin()` sends no BEGIN, each
    statement commits itself), for work that is one statement at a time; elsewhere the sessionmaker."""
    engine = sessionmaker.kw["bind"]
    if engine.dialect.name != "postgresql":
        return sessionmaker
    made = _AUTOCOMMIT_SESSIONS.get(engine)
    if made is None:
        auto: AsyncEngine | None = _AUTOCOMMIT.get(engine)
        if auto is None:
            auto = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
        made = _AUTOCOMMIT_SESSIONS[engine] = async_sessionmaker(auto, expire_on_commit=False)
    return made


_AUTOCOMMIT_SESSIONS: dict[AsyncEngine, async_sessionmaker[AsyncSession]] = {}


def dialect_of(session: AsyncSession) -> str:
    """`postgresql` or `sqlite`: a few statements (upserts, SKIP LOCKED) differ between them."""
    bind = session.get_bind()
    return bind.dialect.name
