"""Counting what one piece of work costs: Postgres statements and transactions, Redis round trips.

Postgres through SQLAlchemy's engine events (every statement the driver runs, and each BEGIN and
COMMIT, which asyncpg sends as round trips of their own, except on an autocommit connection), plus
the statements sent on the driver's own connection, bypassing SQLAlchemy (the webhook's insert,
`certobot.whatsapp.inbox`); Redis by wrapping the client's two ways
out (one command, or a pipeline flushed in one write). Commands inside a Lua script run on the
server, so they are one round trip here; the caller knows what its scripts do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from redis.asyncio.client import Pipeline, Redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    begins: int = 0
    commits: int = 0
    redis_round_trips: int = 0
    redis_commands: Counter[str] = field(default_factory=Counter)

    @property
    def pg_round_trips(self) -> int:
        return len(self.statements) + self.begins + self.commits

    def kinds(self) -> Counter[str]:
        return Counter(s.split(None, 1)[0].upper() for s in self.statements)


@contextmanager
def counting(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, *more: AsyncEngine) -> Iterator[Tally]:
    """`more`: other engines of the same work (the bot's sessions have a pool of their own)."""
    tally = Tally()
    syncs = list(dict.fromkeys(e.sync_engine for e in (engine, *more)))

    def on_statement(*args: Any) -> None:
        tally.statements.append(str(args[2]).strip())

    def autocommit(conn: Any) -> bool:
        return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")

    def on_begin(conn: Any) -> None:
        if not autocommit(conn):  # in autocommit the driver sends no BEGIN
            tally.begins += 1

    def on_commit(conn: Any) -> None:
        if not autocommit(conn):
            tally.commits += 1

    real_fetch = asyncpg.Connection.fetch

    async def driver_fetch(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        # SQLAlchemy's own statements go through prepared statements, not here: nothing is counted twice.
        tally.statements.append(query.strip())
        return await real_fetch(self, query, *args, **kwargs)

    real_execute = Redis.execute_command
    real_pipeline = Pipeline.execute

    async def execute_command(self: Redis, *args: Any, **options: Any) -> Any:
        tally.redis_round_trips += 1
        tally.redis_commands[str(args[0]).upper()] += 1
        return await real_execute(self, *args, **options)

    async def pipeline_execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        if self.command_stack:
            tally.redis_round_trips += 1
            for args, _ in self.command_stack:
                tally.redis_commands[str(args[0]).upper()] += 1
        return await real_pipeline(self, raise_on_error)

    for sync in syncs:
        event.listen(sync, "before_cursor_execute", on_statement)
        event.listen(sync, "begin", on_begin)
        event.listen(sync, "commit", on_commit)
    monkeypatch.setattr(asyncpg.Connection, "fetch", driver_fetch)
    monkeypatch.setattr(Redis, "execute_command", execute_command)
    monkeypatch.setattr(Pipeline, "execute", pipeline_execute)
    try:
        yield tally
    finally:
        for sync in syncs:
            event.remove(sync, "before_cursor_execute", on_statement)
            event.remove(sync, "begin", on_begin)
            event.remove(sync, "commit", on_commit)
        monkeypatch.setattr(asyncpg.Connection, "fetch", real_fetch)
        monkeypatch.setattr(Redis, "execute_command", real_execute)
        monkeypatch.setattr(Pipeline, "execute", real_pipeline)
