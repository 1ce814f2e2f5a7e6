"""What changed, as it commits: the console's live stream, fed by Postgres NOTIFY.

Triggers (migration 0014) send `c:<conversation id>` on the channel `certobot_live` when a turn, a
takeover or an operator's message commits, and `s:<name>` when a switch flips. One listening
connection per API process fans them out to every open stream (`subscribe`); nothing is read from
the database per event or per operator. On SQLite (`certobot up`, one process) there is nothing to
listen to, so the feed looks for rows changed since its last look once a second instead.

The feed starts with its first subscriber and stops with the process (`Resources.aclose`).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.negotiation.models import Conversation
from certobot.whatsapp.models import Message
from certokit.db import utcnow
from certokit.logging import get_logger

log = get_logger("certobot.live")

CHANNEL = "certobot_live"
SWITCHES = "certobot_switches"  # the switches alone, for processes that only need those (the worker)
LOOK_BACK = timedelta(seconds=3)
QUEUE_SIZE = 200  # events a slow browser may fall behind by before it is told to reload everything


@dataclass(frozen=True)
class Event:
    kind: str  # conversation, switch, resync; "bye": the server is stopping, the stream ends
    id: str = ""


def parse(payload: str) -> Event | None:
    prefix, _, rest = payload.partition(":")
    if prefix == "c" and rest:
        return Event("conversation", rest)
    if prefix == "s" and rest:
        return Event("switch", rest)
    return None


class LiveFeed:
    def __init__(
        self, database_url: str, sessionmaker: async_sessionmaker[AsyncSession], *, retry_every: float = 5.0
    ) -> None:
        url = make_url(database_url)
        self.listens = url.get_backend_name() == "postgresql"
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.sessionmaker = sessionmaker
        self.retry_every = retry_every
        self.subscribers: set[asyncio.Queue[Event]] = set()
        self.listening = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.ending = False

    # --- subscribers -------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[Event]:
        if self.ending:
            queue: asyncio.Queue[Event] = asyncio.Queue(1)
            queue.put_nowait(Event("bye"))
            return queue
        if self._task is None or self._task.done():
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="live-feed")
        queue = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self.subscribers.discard(queue)

    def publish(self, event: Event) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # Too far behind to catch up event by event: one "reload everything" instead.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(Event("resync"))

    def end_streams(self) -> None:
        self.ending = True
        for queue in list(self.subscribers):
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(Event("bye"))

    def end_streams_on_exit(self) -> None:
        """Uvicorn, told to stop, waits for every response to finish, and a stream never does: on its
        stop signals the streams end first (the consoles reconnect, to the next process)."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            owner = getattr(previous, "__self__", None)
            if not callable(previous) or not type(owner).__module__.startswith("uvicorn"):
                continue  # not served by uvicorn (tests, a worker): nothing waits on the streams

            def handler(signum: int, frame: FrameType | None, previous: Callable[..., object] = previous) -> None:
                with suppress(RuntimeError):  # the loop already closed
                    loop.call_soon_threadsafe(self.end_streams)
                previous(signum, frame)

            signal.signal(sig, handler)

    def local(self, event: Event) -> None:
        """A change this process made: on Postgres the trigger tells everyone, elsewhere this does."""
        if not self.listens:
            self.publish(event)

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task

    # --- sources -----------------------------------------------------------------------------

    async def _run(self) -> None:
        if self.listens:
            await self._listen()
        else:
            await self._look_every(1.0)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        event = parse(payload)
        if event is not None:
            self.publish(event)

    async def _listen(self) -> None:
        while not self._stop.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=5)
                await conn.add_listener(CHANNEL, self._notified)
                self.listening.set()
                # Whatever happened while nobody listened (the first connect, or after a failure):
                # the consoles reload once instead of missing it.
                self.publish(Event("resync"))
                while not self._stop.is_set() and not conn.is_closed():
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), timeout=self.retry_every)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("live_listen_failed", error=type(exc).__name__)
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=self.retry_every)
            finally:
                self.listening.clear()
                if conn is not None:
                    with suppress(Exception):  # closing a connection that already broke
                        await conn.close(timeout=2)

    async def _look_every(self, seconds: float) -> None:
        """SQLite: what changed since the last look, by message id and conversation `updated_at`.

        `updated_at` is stamped before the commit, so a look re-reads a short window back and only
        reports a conversation whose stamp it has not reported yet.
        """
        async with self.sessionmaker() as db:
            last_id = int(await db.scalar(select(func.max(Message.id))) or 0)
        seen: dict[str, datetime] = {}
        since = utcnow()
        self.listening.set()
        while not self._stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=seconds)
            try:
                async with self.sessionmaker() as db:
                    rows = (
                        await db.execute(
                            select(Message.id, Message.conversation_id).where(Message.id > last_id).order_by(Message.id)
                        )
                    ).all()
                    touched = (
                        await db.execute(
                            select(Conversation.id, Conversation.updated_at).where(
                                Conversation.updated_at > since - LOOK_BACK
                            )
                        )
                    ).all()
            except Exception as exc:  # a locked SQLite file: look again next second
                log.warning("live_look_failed", error=type(exc).__name__)
                continue
            changed = {conv_id for _, conv_id in rows if conv_id}
            if rows:
                last_id = rows[-1][0]
            for conv_id, stamp in touched:
                if seen.get(conv_id) != stamp:
                    seen[conv_id] = stamp
                    changed.add(conv_id)
            since = utcnow()
            seen = {k: v for k, v in seen.items() if v > since - LOOK_BACK}
            for conv_id in sorted(changed):
                self.publish(Event("conversation", conv_id))
