"""Processing accepted messages: at least once, in order per conversation, one at a time.

The webhook stores each event in Postgres (the truth, deduplicated by wamid) and announces its
phone key on a Redis Stream. Workers read the stream through a consumer group; for an entry they
take that conversation's lock and process every unprocessed event of the phone in the order
WhatsApp stamped them, each in its own transaction with the turn handler, then send the replies.
An entry is acknowledged only after that; entries of a dead worker are claimed by another after
`CLAIM_IDLE_MS`; a sweeper re-announces anything stored but never announced (a crash between the
commit and the XADD). Several API processes and workers can run at once.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import ResponseError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.metrics import MESSAGES_IN, REPLY_LATENCY
from certobot.negotiation.models import Conversation
from certobot.redis import count
from certobot.resources import Resources
from certobot.sealed import SEAL
from certobot.whatsapp.models import InboundEvent
from certobot.whatsapp.schemas import InboundMessage
from certobot.whatsapp.sender import Sender
from certokit.db import utcnow
from certokit.errors import TryLater
from certokit.logging import get_logger

log = get_logger("certobot.pipeline")

STREAM = "certobot:inbound"
GROUP = "workers"
CLAIM_IDLE_MS = 30_000
MAX_ATTEMPTS = 5


class TurnHandler(Protocol):
    async def __call__(self, session: AsyncSession, msg: InboundMessage, /) -> None: ...


@asynccontextmanager
async def conversation_lock(redis: Redis, phone_key: str, *, hold_seconds: float = 20.0) -> AsyncIterator[None]:
    """The one lock of a conversation: message processing, sending and expiry all take it.

    It lives `hold_seconds` and is renewed every third of that while its holder runs, so a turn slowed
    down by an overloaded machine keeps it, and a process killed while holding it blocks that
    conversation for at most `hold_seconds`.
    """
    # Named by the phone's keyed hash: the same lock whether the caller holds the clear key (the
    # webhook) or the hash read from a row (sweeps, expiry), and no phone in Redis.
    name = f"certobot:lock:conv:{SEAL.phone_hash(phone_key)}"
    lock = redis.lock(name, timeout=hold_seconds, blocking_timeout=hold_seconds)
    acquired = await lock.acquire()
    if not acquired:
        raise TimeoutError("conversation lock busy")
    keeper = asyncio.create_task(_keep_alive(lock, hold_seconds / 3))
    try:
        yield
    finally:
        keeper.cancel()
        with suppress(Exception):  # expired meanwhile (Redis restarted): the next holder already owns it
            await lock.release()


async def _keep_alive(lock: Lock, every: float, *, at_most: float = 300.0) -> None:
    """Renew the lock while its holder works, for `at_most` seconds: no turn can pin a conversation."""
    loop = asyncio.get_running_loop()
    until = loop.time() + at_most
    with suppress(Exception):  # lost (not owned any more) or Redis away: the lock simply expires
        while loop.time() < until:
            await asyncio.sleep(every)
            await lock.reacquire()


async def announce(redis: Redis, phone_keys: list[str]) -> None:
    if not phone_keys:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for key in dict.fromkeys(SEAL.phone_hash(k) for k in phone_keys):
            pipe.xadd(STREAM, {"k": key}, maxlen=200_000, approximate=True)
        await pipe.execute()


class Pipeline:
    def __init__(
        self, resources: Resources, handler: TurnHandler, *, concurrency: int = 64, claim_idle_ms: int = CLAIM_IDLE_MS
    ) -> None:
        self.res = resources
        self.handler = handler
        self.sender = Sender(resources)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._slots = asyncio.Semaphore(concurrency)
        self.claim_idle_ms = claim_idle_ms
        self._tasks: set[asyncio.Task[None]] = set()

    async def process_phone(self, phone_key: str) -> int:
        """Process every pending event of one phone, in order; returns how many."""
        done = 0
        async with conversation_lock(self.res.redis, phone_key):
            while await self._process_next(phone_key):
                done += 1
            await self._send_pending(phone_key)
        return done

    async def _process_next(self, phone_key: str) -> bool:
        """Process the phone's oldest pending event in one transaction; False when there is none."""
        event_id: int | None = None
        try:
            async with self.res.sessionmaker() as session, session.begin():
                event = await session.scalar(
                    select(InboundEvent)
                    .where(InboundEvent.phone_key == phone_key, InboundEvent.processed_at.is_(None))
                    .order_by(InboundEvent.sent_at, InboundEvent.id)
                    .limit(1)
                    # Blocking, not SKIP LOCKED: should two processors ever meet on one phone (its lock
                    # lost with a Redis restart), the second waits rather than take a later message first.
                    .with_for_update()
                )
                if event is None:
                    return False
                event_id = event.id
                msg = InboundMessage.model_validate(event.payload)
                MESSAGES_IN.labels(kind=msg.kind).inc()
                await self.handler(session, msg)
                event.processed_at = utcnow()
                event.payload = None  # the raw text (maybe CPF digits) is not kept once processed
            REPLY_LATENCY.observe(max(0.0, (utcnow() - event.received_at).total_seconds()))
            return True
        except TryLater:
            raise  # not the message's fault: no attempt counted, tried again by the sweeper
        except Exception:
            if event_id is None:
                raise
            attempts = await count(self.res.redis, f"certobot:attempts:{event_id}", 86_400, refresh=True)
            log.exception("turn_failed", event_id=event_id, attempt=attempts)
            if attempts < MAX_ATTEMPTS:
                raise
            # A message that breaks the handler every time must not block the conversation forever.
            async with self.res.sessionmaker() as session, session.begin():
                failed = await session.get(InboundEvent, event_id)
                if failed is not None:
                    failed.processed_at = utcnow()
            log.error("turn_given_up", event_id=event_id)
            return True

    async def _send_pending(self, phone_key: str) -> None:
        async with self.res.sessionmaker() as session:
            ids = (await session.scalars(select(Conversation.id).where(Conversation.phone_key == phone_key))).all()
        for conv_id in ids:
            await self.sender.deliver_conversation(conv_id)

    # --- loops -----------------------------------------------------------------------------------

    async def ensure_group(self) -> None:
        with suppress(ResponseError):  # BUSYGROUP: it exists
            await self.res.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)

    async def consume(self, stop: asyncio.Event) -> None:
        try:
            await self._consume(stop)
        finally:
            for task in list(self._tasks):
                task.cancel()  # unacknowledged: another worker claims them

    async def _consume(self, stop: asyncio.Event) -> None:
        await self.ensure_group()
        redis = self.res.redis
        claim_every, last_claim = min(10.0, self.claim_idle_ms / 1000), 0.0
        in_process = self.res.settings.redis_url is None
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                entries: list[tuple[bytes, dict[bytes, bytes]]] = []
                if loop.time() - last_claim > claim_every:
                    last_claim = loop.time()
                    claimed: Any = await redis.xautoclaim(
                        STREAM, GROUP, self.consumer, self.claim_idle_ms, "0-0", count=50
                    )
                    entries.extend(claimed[1])
                got: Any = await redis.xreadgroup(
                    GROUP, self.consumer, {STREAM: ">"}, count=50, block=None if in_process else 1000
                )
                for _, batch in got or []:
                    entries.extend(batch)
                if entries:
                    await self._handle_entries(entries)
                elif in_process:
                    # The in-process stand-in would block the whole event loop on a blocking read.
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" in str(exc):
                    await self.ensure_group()  # Redis was restarted empty
                else:
                    log.exception("consume_failed")
                    await asyncio.sleep(1)
            except Exception:
                log.exception("consume_failed")
                await asyncio.sleep(1)

    async def _handle_entries(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        """Start one task per phone (bounded); a slow conversation does not hold up the others."""
        by_phone: dict[str, list[bytes]] = {}
        for entry_id, fields in entries:
            key = fields.get(b"k")
            if key:
                by_phone.setdefault(key.decode(), []).append(entry_id)
        for phone, ids in by_phone.items():
            await self._slots.acquire()
            task = asyncio.create_task(self._one_phone(phone, ids))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _one_phone(self, key: str, ids: list[bytes]) -> None:
        try:
            await self.process_phone(key)
        except TryLater as exc:
            log.warning("turn_deferred", reason=str(exc))
            return  # not acked; the sweeper announces the pending event again in a few seconds
        except Exception:
            log.exception("process_phone_failed")
            return  # not acked: redelivered to some worker after CLAIM_IDLE_MS
        finally:
            self._slots.release()
        await self.res.redis.xack(STREAM, GROUP, *ids)

    async def sweep(self, stop: asyncio.Event, every: float = 5.0) -> None:
        """Re-announce stored events nobody processed, and send replies whose first try failed."""
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            try:
                async with self.res.sessionmaker() as session:
                    keys = (
                        await session.scalars(
                            select(InboundEvent.phone_key)
                            .where(
                                InboundEvent.processed_at.is_(None),
                                InboundEvent.received_at < utcnow() - timedelta(seconds=every),
                            )
                            .distinct()
                            .limit(500)
                        )
                    ).all()
                await announce(self.res.redis, list(keys))
                for conv_id, phone_key in await self.sender.due_conversations():
                    if phone_key is None:
                        await self.sender.deliver_conversation(conv_id)
                        continue
                    try:
                        async with conversation_lock(self.res.redis, phone_key, hold_seconds=20):
                            await self.sender.deliver_conversation(conv_id)
                    except TimeoutError:
                        continue  # busy: its holder sends, or the next pass does
            except Exception:
                log.exception("sweep_failed")


async def deliver_now(resources: Resources, conversation_id: str) -> None:
    """Send a conversation's queued messages right away (after an operator action), in order."""
    async with resources.sessionmaker() as session:
        key = await session.scalar(select(Conversation.phone_key).where(Conversation.id == conversation_id))
    if key is None:
        return
    try:
        async with conversation_lock(resources.redis, key, hold_seconds=30):
            await Sender(resources).deliver_conversation(conversation_id)
    except Exception:
        log.exception("deliver_now_failed")  # the periodic sender will retry it
