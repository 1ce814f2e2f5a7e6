"""Wake-ups instead of polling: Postgres LISTEN/NOTIFY on one connection, a slow poll behind it.

A trigger (migration 0006) runs `pg_notify` when a CRM outbox row or a boleto delivery is inserted;
the notification is delivered at COMMIT, so the woken loop always finds the row. The listener
keeps one asyncpg connection per process and sets an `asyncio.Event` per channel; loops wait on
their event with a slow fallback timeout, which also covers rows waiting out a backoff, a lost
notification and SQLite (`certobot up`), where there is nothing to listen to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import datetime

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from certokit.logging import get_logger

log = get_logger("certokit.wakeup")

CRM_OUTBOX = "certobot_crm_outbox"
BOLETO_DELIVERY = "crm_boleto_delivery"
POLICIES = "certobot_policies"  # the bot's negotiation policies changed (migration 0013)
# The bot's singleton loops (migration 0011 and the code that NOTIFYs them):
SWEEP = "certobot_sweep"  # an inbound event left unannounced, a WhatsApp send waiting to be retried
CAMPAIGNS = "certobot_campaigns"  # a campaign created, resumed or otherwise made runnable
EXPIRY = "certobot_expiry"  # a conversation became active: a new deadline, maybe the earliest


def listen_dsn(database_url: str) -> str:
    """asyncpg's form of the URL, for a LISTEN connection of its own; empty where nothing can
    NOTIFY (SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return ""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Wakeups:
    def __init__(self, database_url: str, channels: tuple[str, ...]) -> None:
        self.dsn = listen_dsn(database_url)
        self.enabled = bool(self.dsn)
        self.events = {name: asyncio.Event() for name in channels}
        self.listening = asyncio.Event()

    def event(self, channel: str) -> asyncio.Event:
        return self.events[channel]

    def poll_every(self, fallback: float) -> float:
        """How often a loop must look by itself: rarely when NOTIFY wakes it, every second on SQLite."""
        return fallback if self.enabled else min(fallback, 1.0)

    async def _wake_all(self) -> None:
        for event in self.events.values():
            event.set()
        log.info("listening", channels=list(self.events))

    async def run(self, stop: asyncio.Event, *, retry_every: float = 5.0) -> None:
        """Listen until `stop`; reconnect after a failure, waking every loop once (it may have missed one)."""
        if not self.enabled:
            return
        channels = {name: (lambda _payload, e=event: e.set()) for name, event in self.events.items()}
        await listen(self.dsn, channels, stop, self.listening, on_connected=self._wake_all, every=retry_every)


async def listen(
    dsn: str,
    channels: Mapping[str, Callable[[str], object]],
    stop: asyncio.Event,
    listening: asyncio.Event,
    *,
    on_connected: Callable[[], Awaitable[None]],
    every: float = 5.0,
    name: str = "listen",
) -> None:
    """One LISTEN connection until `stop`: each channel's notifications (their payload) go to its
    callback; `listening` is set while they are known to arrive, from after `on_connected` (which
    catches up on what may have been missed before the LISTEN) until a failure. On any failure the
    connection is dropped, `listening` cleared at once (callers fall back to asking Postgres), and
    a new one tried `every` seconds later. A connection that died quietly would leave the process
    deaf, so it is asked to answer every `every` seconds.
    """
    while not stop.is_set():
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
            for channel, callback in channels.items():
                await conn.add_listener(channel, _payload_to(callback))
            await on_connected()
            listening.set()
            while not stop.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every)
                await conn.fetchval("SELECT 1", timeout=2)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, SQLAlchemyError, TimeoutError) as exc:
            log.warning(f"{name}_failed", error=type(exc).__name__)
            listening.clear()  # before the wait: meanwhile callers ask Postgres
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
        finally:
            listening.clear()
            if conn is not None:
                with suppress(Exception):  # closing a connection that already broke
                    await conn.close(timeout=2)


def _payload_to(callback: Callable[[str], object]) -> Callable[[object, int, str, str], None]:
    def notified(_conn: object, _pid: int, _channel: str, payload: str) -> None:
        callback(payload)

    return notified


async def wait(event: asyncio.Event, stop: asyncio.Event, at_most: float) -> None:
    """Until `event` is set (then cleared, so a wake-up during the next pass is not lost), `stop`, or `at_most` s."""
    stopper = asyncio.ensure_future(stop.wait())
    waker = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({stopper, waker}, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        waker.cancel()
    event.clear()


def until(deadline: datetime | None, now: datetime, fallback: float, *, at_least: float = 0.05) -> float:
    """Seconds to sleep until `deadline` (None: no deadline known), never longer than the fallback poll."""
    if deadline is None:
        return fallback
    return min(fallback, max(at_least, (deadline - now).total_seconds()))


async def notify(session: AsyncSession, channel: str) -> None:
    """Wake `channel`'s loop when this transaction commits (Postgres holds the NOTIFY until then).

    On SQLite nothing listens: the loops poll every second there (`Wakeups.poll_every`)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(channel, "")))
