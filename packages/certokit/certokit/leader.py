"""One process runs each singleton loop: leader election through a Postgres advisory lock.

Every process that may run background work contends for one session-level advisory lock on a
connection of its own (`pg_try_advisory_lock`); the one that gets it leads and runs the singleton
loops (sweeper, campaigns, expiry, reminders, retention), the others retry every few seconds. When
the leader dies its connection closes and Postgres releases the lock at once: another process
takes it at its next try. The leader checks its connection on the same beat and, if it broke,
stops its singleton loops before contending again. Two leaders can overlap for at most that beat
(the lock released by a broken connection while the old leader has not noticed yet); every
singleton loop is still correct then, only wasteful: each step locks its rows or uses unique keys.

On SQLite there is no lock to take and only one process: that process leads.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from certokit.logging import get_logger

log = get_logger("certokit.leader")

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def lock_key(name: str) -> int:
    """A stable 32-bit key for `name` (advisory locks are keyed by integers)."""
    return zlib.crc32(name.encode())


class Leadership:
    def __init__(self, database_url: str, name: str, *, retry_every: float = 5.0) -> None:
        url = make_url(database_url)
        self.enabled = url.get_backend_name() == "postgresql"
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.name = name
        self.key = lock_key(name)
        self.retry_every = retry_every
        self.leading = asyncio.Event()  # set while this process holds the lock
        self.lost = asyncio.Event()  # set when it stops holding it (cleared on winning)
        self.tries = 0  # attempts at the lock: a follower's sign of life

    async def run(self, stop: asyncio.Event) -> None:
        """Contend until `stop`; lead while the lock is held; release it on the way out."""
        if not self.enabled:
            self._win()
            await stop.wait()
            self._lose()
            return
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=5)
                while not stop.is_set():
                    if not self.leading.is_set():
                        self.tries += 1
                        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                            self._win()
                    else:
                        await conn.fetchval("SELECT 1", timeout=self.retry_every)  # still connected, still leading
                    with suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.retry_every)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("leader_connection_failed", lock=self.name, error=type(exc).__name__)
                self._lose()
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.retry_every)
            finally:
                self._lose()
                if conn is not None:
                    with suppress(Exception):  # closing a connection that already broke; the lock goes with it
                        await conn.close(timeout=2)

    def _win(self) -> None:
        log.info("leading", lock=self.name)
        self.lost.clear()
        self.leading.set()

    def _lose(self) -> None:
        if self.leading.is_set():
            log.info("not_leading", lock=self.name)
        self.leading.clear()
        self.lost.set()


async def while_leading(leadership: Leadership, stop: asyncio.Event, loop: Loop, name: str) -> None:
    """Run `loop(own_stop)` whenever this process leads; stop it when leadership is lost or at `stop`."""
    while not stop.is_set():
        leading = asyncio.ensure_future(leadership.leading.wait())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({leading, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            leading.cancel()
            stopping.cancel()
        if stop.is_set():
            return
        own_stop = asyncio.Event()
        task = asyncio.create_task(loop(own_stop), name=name)
        lost = asyncio.ensure_future(leadership.lost.wait())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, lost, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            stopping.cancel()
            own_stop.set()
            try:
                with suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), timeout=5)  # a pass in flight may finish
            finally:  # even when this task is cancelled meanwhile: no loop outlives its supervisor
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):  # its failure was logged by the loop itself
                    await task
        if task.done() and not stop.is_set() and leadership.leading.is_set():
            await asyncio.sleep(leadership.retry_every)  # the loop ended by itself: no hot restart
