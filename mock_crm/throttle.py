"""Wrong API keys are throttled per client, counted in Postgres (the CRM has no Redis).

One row per client and fixed window, bumped by one upsert per wrong key. Past `AUTH_MAX_FAILURES`
in a window every call from that client gets 429 with Retry-After until the window ends, the right
key included, so a guesser learns nothing from the answers meanwhile (as the bot does in Redis,
certobot.security.throttle). The counts commit in their own short transaction: the request's own
rolls back with the 401.

"Is this client throttled now" is asked by every authenticated request, so it is answered from this
process's memory (`ThrottleBoard`), not by a SELECT per request. The counts stay in Postgres, shared
by every CRM process; the upsert that takes a client to the limit also NOTIFYs `crm_auth_throttled`
in its transaction, and each process's board LISTENs for it on one connection of its own, after
loading the clients already throttled (LISTEN first, then the load: a crossing in between is seen
by one or the other).

Consistency window: Postgres delivers the NOTIFY once the counting transaction commits, to every
listener (on loopback well under a millisecond). Until it arrives, another process may answer that
client once more with 401 or 200 as if the limit were not reached; a wrong key it answers is still
counted in Postgres, so the limit itself is never lifted, only its news is that late. The process
that counted the failure marks the client itself before it answers. When the board is not listening
(SQLite, before the first connection, while its connection is down) `refuse_if_throttled` asks
Postgres per request as before, and a reconnection reloads what it may have missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.exceptions import HTTPException

from certokit.db import dialect_of, one_statement, transaction
from certokit.logging import get_logger
from certokit.wakeup import listen, listen_dsn
from mock_crm.base import CrmBase

log = get_logger("mock_crm.security")

CHANNEL = "crm_auth_throttled"  # payload: "<window_start> <client>"


class AuthFailure(CrmBase):
    """Wrong keys from one client in one window (`window_start`, seconds since the epoch)."""

    __tablename__ = "crm_auth_failures"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


# Built once: a request only binds and executes them.
_FAILURES = select(AuthFailure.failures).where(
    AuthFailure.client == bindparam("client"), AuthFailure.window_start == bindparam("start")
)
_THROTTLED = (
    select(AuthFailure.client, func.max(AuthFailure.window_start))
    .where(AuthFailure.failures >= bindparam("max_failures"))
    .group_by(AuthFailure.client)
)


def window_of(now: datetime, window_seconds: int) -> tuple[int, int]:
    """(start of the window `now` falls in, seconds until it ends)."""
    ts = int(now.timestamp())
    start = ts - ts % window_seconds
    return start, max(1, start + window_seconds - ts)


class ThrottleBoard:
    """This process's copy of which clients spent their wrong keys, and in which window."""

    def __init__(self, database_url: str, sessionmaker: async_sessionmaker[AsyncSession], *, max_failures: int) -> None:
        self.dsn = listen_dsn(database_url)
        self.enabled = bool(self.dsn)
        self.sessionmaker = sessionmaker
        self.max_failures = max_failures
        self.blocked: dict[str, int] = {}  # client -> the latest window it is throttled in
        self.listening = asyncio.Event()

    def is_blocked(self, client: str, window_start: int) -> bool:
        return self.blocked.get(client) == window_start

    def mark(self, client: str, window_start: int) -> None:
        if self.blocked.get(client, window_start) <= window_start:
            self.blocked[client] = window_start
        if len(self.blocked) > 1024:  # windows gone by: nobody is refused for them any more
            self.blocked = {c: w for c, w in self.blocked.items() if w >= window_start}

    def _notified(self, payload: str) -> None:
        start, _, client = payload.partition(" ")
        with suppress(ValueError):
            self.mark(client, int(start))

    async def _load(self) -> None:
        async with one_statement(self.sessionmaker) as conn:
            rows = await conn.execute(_THROTTLED, {"max_failures": self.max_failures})
            for client, start in rows:
                self.mark(client, start)

    async def run(self, stop: asyncio.Event, *, check_every: float = 5.0) -> None:
        """LISTEN, load, then answer from memory until `stop`; on any failure fall back to Postgres
        (`listening` cleared) and reconnect."""
        if not self.enabled:
            return
        await listen(
            self.dsn,
            {CHANNEL: self._notified},
            stop,
            self.listening,
            on_connected=self._load,
            every=check_every,
            name="throttle_listen",
        )


async def refuse_if_throttled(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: str,
    now: datetime,
    *,
    max_failures: int,
    window: int,
    board: ThrottleBoard | None = None,
) -> None:
    """429 when this client already spent its wrong keys in the current window."""
    start, left = window_of(now, window)
    if board is not None and board.listening.is_set():
        throttled = board.is_blocked(client, start)  # no round trip (see the module's docstring)
    else:
        async with one_statement(sessionmaker) as conn:
            failures = await conn.scalar(_FAILURES, {"client": client, "start": start})
        throttled = failures is not None and failures >= max_failures
    if throttled:
        # The shared handler words it in Portuguese ("Muitas requisições; tente novamente em instantes.").
        raise HTTPException(429, headers={"Retry-After": str(left)})


async def count_failure(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: str,
    now: datetime,
    *,
    max_failures: int,
    window: int,
    board: ThrottleBoard | None = None,
) -> None:
    """One wrong key: a single upsert; the first of a window also clears windows long gone; the one
    that reaches the limit (or passes it, in the consistency window) tells every process."""
    start, _ = window_of(now, window)
    async with transaction(sessionmaker) as db:
        postgres = dialect_of(db) == "postgresql"
        insert = pg_insert if postgres else sqlite_insert
        upsert = (
            insert(AuthFailure)
            .values(client=client, window_start=start, failures=1)
            .on_conflict_do_update(
                index_elements=["client", "window_start"], set_={"failures": AuthFailure.failures + 1}
            )
            .returning(AuthFailure.failures)
        )
        count = (await db.execute(upsert)).scalar_one()
        if count == 1:
            await db.execute(delete(AuthFailure).where(AuthFailure.window_start < start - window))
        if count >= max_failures and postgres:
            await db.execute(select(func.pg_notify(CHANNEL, f"{start} {client}")))  # sent at COMMIT
    if count >= max_failures and board is not None:
        board.mark(client, start)
    if count == max_failures:
        log.warning("auth_throttled", window_seconds=window)


@asynccontextmanager
async def run_throttle_board(board: ThrottleBoard, *, ready_within: float = 3.0) -> AsyncIterator[ThrottleBoard]:
    """The board's listener for the lifespan; requests meanwhile (or if it never connects) ask Postgres."""
    stop = asyncio.Event()
    task = asyncio.create_task(board.run(stop), name="throttle-board")
    if board.enabled:
        with suppress(TimeoutError):
            await asyncio.wait_for(board.listening.wait(), timeout=ready_within)
    try:
        yield board
    finally:
        stop.set()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
