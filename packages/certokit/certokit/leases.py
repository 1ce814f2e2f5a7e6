"""Leases that name their holder, so the rows a killed process had leased are free at once.

An outbox pass leases its rows with a time limit (`locked_until`) long enough for any one row's I/O,
then works with no transaction open. A process killed mid-pass used to leave its whole batch leased
until that limit ran out: minutes in which a debtor who had just said "fechou" waited for the
outcome, or the boleto, though nobody was working on it. Here the pass also holds one connection
for as long as it works and names that connection's Postgres backend in the lease (`locked_by`).
A process that dies takes its connections with it, Postgres ends their backends, and a row whose
holder is no longer in `pg_stat_activity` can be claimed again at once.

What a pass records should go through the held connection too: if that connection is lost while the
process lives (Postgres restarted), the next record fails and the pass stops, so a second process
that claims the rows meanwhile repeats at most the one row in flight, never the batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, and_, column, exists, table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.db import dialect_of

__all__ = ["backend_pid", "held_session", "holder_gone"]

_BACKENDS = table("pg_stat_activity", column("pid"))


def holder_gone(locked_by: Any) -> ColumnElement[bool]:
    """A lease whose holder's backend is gone: the connection its pass held closed (on Postgres)."""
    return and_(locked_by.is_not(None), ~exists().where(_BACKENDS.c.pid == locked_by))


async def backend_pid(session: AsyncSession) -> int | None:
    """The backend of the connection `session` holds (Postgres), to name as the holder of a lease."""
    if dialect_of(session) != "postgresql":
        return None
    return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


@asynccontextmanager
async def held_session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Postgres: a session in autocommit on one connection, held until the pass has recorded every
    row it leased (each statement commits itself; `session.begin()` sends no BEGIN). Elsewhere a
    plain session of the sessionmaker (SQLite: one process, no holder to name)."""
    engine = sessionmaker.kw["bind"]
    if engine.dialect.name != "postgresql":
        async with sessionmaker() as session:
            yield session
        return
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        async with AsyncSession(bind=auto, expire_on_commit=False) as session:
            yield session
