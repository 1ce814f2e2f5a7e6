"""Processing accepted messages: at least once, in order per conversation, one at a time.

The webhook stores each event in Postgres (the truth, deduplicated by wamid) and announces its
phone key on a Redis Stream (and a PUBLISH that wakes idle workers). A worker's pass is one script:
it reads new entries through the consumer group and, for each phone, takes the conversation's lock
and reads its session. Then, per event in the order WhatsApp stamped them: one statement reads the
turn, the flow decides with nothing open, one guarded statement writes it, the replies go out from
memory. Last, one script writes the session (stamped with the committed version), releases the lock
and acknowledges the entries. Entries of a dead worker are claimed by another after
`CLAIM_IDLE_MS`; a sweeper re-announces anything stored but never announced (a crash between the
commit and the XADD) and sends replies whose lease ran out. Several API processes and workers can
run at once. Handlers that are not the flow (the tests' recorders) run the older way: inside a
transaction per event.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, cast

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import ResponseError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.crm.client import BREAKER_KEY, CrmClient
from certobot.metrics import MESSAGES_IN, REPLY_LATENCY
from certobot.negotiation.models import Conversation
from certobot.negotiation.session import SessionState, session_key
from certobot.negotiation.turnstore import (
    AFTER_OUTCOME_WINDOW,
    Pending,
    ReadAsk,
    TurnConflict,
    TurnRead,
    TurnWork,
    TurnWriter,
    Written,
    read_turns,
)
from certobot.redis import count
from certobot.resources import Resources
from certobot.sealed import SEAL
from certobot.whatsapp.marks import SentMarks
from certobot.whatsapp.models import InboundEvent, InboundFlood
from certobot.whatsapp.schemas import InboundMessage
from certobot.whatsapp.sender import Sender
from certokit import wakeup
from certokit.coalesce import Coalescer
from certokit.db import utcnow
from certokit.errors import TryLater
from certokit.logging import get_logger

log = get_logger("certobot.pipeline")

STREAM = "certobot:inbound"
WAKE = "certobot:inbound:wake"
LOCK_PREFIX = "certobot:lock:conv:"
HOLD_SECONDS = 20.0
GROUP = "workers"
CLAIM_IDLE_MS = 30_000
BREAKER_FRESH = 1.0  # seconds the worker trusts its copy of the CRM breaker before reading it again
MAX_ATTEMPTS = 5


class LegacyHandler(Protocol):
    """A handler that runs inside the pipeline's transaction (the tests' recorders)."""

    async def __call__(self, session: AsyncSession, msg: InboundMessage, /) -> None: ...


class Decider(Protocol):
    """The conversation flow: decides from what was read, with nothing open; the pipeline writes."""

    settings: Any
    clock: Any
    crm: Any

    async def decide(
        self, read: TurnRead, event: Pending, cached: SessionState | None, crm: Any = None
    ) -> TurnWork: ...


TurnHandler = LegacyHandler | Decider

# The lock taken and the phone's session read in one round trip (SET NX, GET); the CRM breaker's
# state comes along, so a turn that finds it closed need not ask Redis again.
_CLAIM = """
local got = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if not got then return {0, false, false} end
return {1, redis.call('GET', KEYS[2]), redis.call('HMGET', KEYS[3], 'open_until', 'failures')}
"""
# The worker's pass: read new stream entries (never blocking: a script cannot) and, for each phone
# in them, take the lock and read the session — one round trip for the lot. The same script reads
# the CRM breaker when the worker's copy is over a second old, and reserves in the number's send
# window one send per phone claimed (and a spare, less what the worker still has reserved), so the
# replies need no rate-limit round trip of their own (certobot.whatsapp.ratelimit).
_READ_CLAIM = """
local got = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not got then return {{}, {}, 0} end
local out, seen, claimed = {}, {}, 0
for _, e in ipairs(got[1][2]) do
  local f, k = e[2], ''
  for i = 1, #f, 2 do if f[i] == 'k' then k = f[i + 1] end end
  if k ~= '' and not seen[k] then
    seen[k] = true
    local lock = redis.call('SET', ARGV[6] .. k, ARGV[4], 'NX', 'PX', ARGV[5])
    local sess = false
    if lock then
      sess = redis.call('GET', ARGV[7] .. k)
      claimed = claimed + 1
    end
    table.insert(out, {e[1], k, lock and 1 or 0, sess})
  else
    table.insert(out, {e[1], k, -1, false})
  end
end
local breaker = {}
if ARGV[8] == '1' then breaker = redis.call('HMGET', KEYS[2], 'open_until', 'failures') end
local granted, want = 0, claimed + tonumber(ARGV[9]) - tonumber(ARGV[10])
if claimed > 0 and want > 0 then
  local n = redis.call('INCRBY', KEYS[3], want)
  if n == want then redis.call('EXPIRE', KEYS[3], 2) end
  granted = math.max(0, math.min(want, tonumber(ARGV[11]) - (n - want)))
end
return {out, breaker, granted}
"""
# After the commit: the session stamped with the committed version, the lock released if still
# ours, the stream entries acknowledged — one round trip. The lock goes with one GETDEL; in the rare
# case it had expired and another worker holds it now, theirs is put back at once, inside the script.
_FINISH = """
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
local held = redis.call('GETDEL', KEYS[1])
if held and held ~= ARGV[1] then redis.call('SET', KEYS[1], held, 'PX', ARGV[5], 'NX') end
if #ARGV > 5 then redis.call('XACK', KEYS[3], ARGV[4], unpack(ARGV, 6)) end
return 1
"""


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
    """The entries, and a wake-up the idle workers hear on their subscription: one round trip."""
    if not phone_keys:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for key in dict.fromkeys(SEAL.phone_hash(k) for k in phone_keys):
            pipe.xadd(STREAM, {"k": key}, maxlen=200_000, approximate=True)
        pipe.publish(WAKE, "1")
        await pipe.execute()


@dataclass
class Claimed:
    """A phone whose lock the worker's pass took, with what the same script read."""

    token: str
    session: SessionState | None
    breaker: tuple[float, int]


def _session_of(raw: Any) -> SessionState | None:
    try:
        return SessionState.model_validate_json(raw) if raw else None
    except ValueError:
        return None  # an older shape: the durable copy is used


class Pipeline:
    def __init__(
        self,
        resources: Resources,
        handler: TurnHandler,
        *,
        concurrency: int = 64,
        claim_idle_ms: int = CLAIM_IDLE_MS,
        marks: SentMarks | None = None,
    ) -> None:
        self.res = resources
        self.handler = handler
        # Replies sent whose record is held for this process's next statement (certobot.whatsapp.marks):
        # the process's own, which its webhooks carry too, unless given others (a test's second process).
        if marks is None:
            if resources.marks is None:
                resources.marks = SentMarks(resources.engine, within=resources.settings.record_sent_within_seconds)
            marks = resources.marks
        self.marks = marks
        self.sender = Sender(resources, marks=self.marks)
        # The turns a pass claimed together read in one statement (certokit.coalesce): under a burst
        # dozens of phones start their turn at the same moment; alone, a read is the one it was.
        self._reads: Coalescer[ReadAsk, TurnRead] = Coalescer(
            lambda asks: read_turns(resources.engine, asks, self.marks)
        )
        # Their writes likewise: the first at once, the ones ready meanwhile in the next statement.
        self._writes = TurnWriter(resources.engine, self.marks)
        self._breaker: tuple[float, int] = (0.0, 0)
        self._breaker_read_at = -BREAKER_FRESH
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._slots = asyncio.Semaphore(concurrency)
        self.claim_idle_ms = claim_idle_ms
        self._tasks: set[asyncio.Task[None]] = set()

    async def process_phone(self, phone_key: str, ack: tuple[bytes, ...] = (), claimed: Claimed | None = None) -> int:
        """Process every pending event of one phone, in order; returns how many.

        About three Redis round trips whatever the number of events: the lock taken with the session
        read (one script), and after the commits the session written, the lock released and the
        stream entries acknowledged (another). The lock is renewed only if the turn runs long.
        """
        phone_key = SEAL.phone_hash(phone_key)  # keys travel and are stored as keyed hashes (idempotent)
        if not hasattr(self.handler, "decide"):
            async with conversation_lock(self.res.redis, phone_key):
                done = 0
                while await self._process_next(phone_key):
                    done += 1
                await self._send_pending(phone_key)
            if ack:
                await self.res.redis.xack(STREAM, GROUP, *ack)
            return done
        if claimed is None:
            token, cached, breaker = await self._claim(phone_key)
        else:
            token, cached, breaker = claimed.token, claimed.session, claimed.breaker
        lock = self.res.redis.lock(LOCK_PREFIX + phone_key, timeout=HOLD_SECONDS)
        lock.local.token = token.encode()
        keeper = asyncio.create_task(_keep_alive(lock, HOLD_SECONDS / 3))
        state: SessionState | None = None
        ok = False
        self.marks.turns += 1  # its statements carry the held records (certobot.whatsapp.marks)
        try:
            done, state = await self._decide_and_write(phone_key, cached, breaker)
            ok = True
        finally:
            self.marks.turns -= 1
            keeper.cancel()
            with suppress(Exception):  # Redis away: the lock expires, the entries are claimed again
                await self._finish(phone_key, token, state, ack if ok else ())
        return done

    async def _claim(self, phone_key: str) -> tuple[str, SessionState | None, tuple[float, int]]:
        """Take the conversation's lock and read its session in one script; wait while it is busy."""
        token = uuid.uuid4().hex
        script = self.res.redis.register_script(_CLAIM)
        loop = asyncio.get_running_loop()
        until = loop.time() + HOLD_SECONDS
        while True:
            got: Any = await script(
                keys=[LOCK_PREFIX + phone_key, session_key(phone_key), BREAKER_KEY],
                args=[token, int(HOLD_SECONDS * 1000)],
            )
            if int(got[0]) == 1:
                open_until, failures = got[2]
                return token, _session_of(got[1]), (float(open_until or 0), int(failures or 0))
            if loop.time() > until:
                raise TimeoutError("conversation lock busy")
            await asyncio.sleep(0.05)

    async def _finish(self, phone_key: str, token: str, state: SessionState | None, ack: tuple[bytes, ...]) -> None:
        script = self.res.redis.register_script(_FINISH)
        keep = max(3600, self.res.settings.conversation_timeout_seconds * 10)
        await script(
            keys=[LOCK_PREFIX + phone_key, session_key(phone_key), STREAM],
            args=[
                token,
                state.model_dump_json() if state is not None else "",
                keep,
                GROUP,
                int(HOLD_SECONDS * 1000),
                *ack,
            ],
        )

    async def _decide_and_write(
        self, phone_key: str, cached: SessionState | None, breaker: tuple[float, int]
    ) -> tuple[int, SessionState | None]:
        """Read, decide with nothing open, write in one guarded statement; send from memory after."""
        flow = cast(Decider, self.handler)
        done, state, conflicts = 0, None, 0
        while True:
            now = flow.clock.now()
            ask = ReadAsk(
                phone_key,
                since=utcnow() - AFTER_OUTCOME_WINDOW,
                window_start=now - timedelta(hours=flow.settings.identity_lock_hours),
            )
            (read,) = await self._reads([ask])
            if not read.events:
                return done, state
            event = read.events[0]
            try:
                msg_kind = str((event.payload or {}).get("kind", "text"))
                crm = flow.crm.for_turn(*breaker) if isinstance(flow.crm, CrmClient) else None
                work = await flow.decide(read, event, cached, crm)
            except TryLater:
                raise
            except Exception:
                if not await self._given_up(event.id):
                    raise
                work = TurnWork(read=read, events=[event.id])
            work.lease = not read.backlog
            try:
                written = await self._writes(work)
            except TurnConflict:
                conflicts += 1
                if conflicts > 5:
                    raise
                cached = None  # someone else wrote: read again, decide again
                continue
            MESSAGES_IN.labels(kind=msg_kind).inc()
            REPLY_LATENCY.observe(max(0.0, (utcnow() - event.received_at).total_seconds()))
            done += 1
            if work.state is not None:
                state = cached = work.state
            await self._send_written(phone_key, read, work, written)
            if len(read.events) == 1:
                return done, state

    async def _given_up(self, event_id: int) -> bool:
        attempts = await count(self.res.redis, f"certobot:attempts:{event_id}", 86_400, refresh=True)
        log.exception("turn_failed", event_id=event_id, attempt=attempts)
        if attempts < MAX_ATTEMPTS:
            return False
        log.error("turn_given_up", event_id=event_id)
        return True  # a message that breaks the handler every time must not block the conversation

    async def _send_written(self, phone_key: str, read: TurnRead, work: TurnWork, written: Written) -> None:
        """The replies just committed, sent from memory in order; anything else the periodic way."""
        rows = [r for r in written.outbox if r.kind == "whatsapp" and r.locked_until is not None]
        if rows:
            await self.sender.deliver_rows(rows)
        elif read.backlog:
            # Usually the previous reply, sent by another process that holds its record for up to
            # its window (certobot.whatsapp.marks; this process's own were carried by the read):
            # polls, further apart each time, until a little past the window; then the sweeper's turn.
            waited, pause = 0.0, 0.05
            while not await self._send_pending(phone_key) and waited < self.marks.within + 0.25:
                await asyncio.sleep(pause)
                waited, pause = waited + pause, min(pause * 2, 0.8)

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
                await cast(LegacyHandler, self.handler)(session, msg)
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

    async def _send_pending(self, phone_key: str) -> int:
        async with self.res.sessionmaker() as session:
            ids = (await session.scalars(select(Conversation.id).where(Conversation.phone_key == phone_key))).all()
        return sum([await self.sender.deliver_conversation(conv_id) for conv_id in ids])

    # --- loops -----------------------------------------------------------------------------------

    async def ensure_group(self) -> None:
        with suppress(ResponseError):  # BUSYGROUP: it exists
            await self.res.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        # Loaded once at start, so a turn's first EVALSHA finds its script (no NOSCRIPT round trip).
        with suppress(ResponseError):
            for script in (_READ_CLAIM, _CLAIM, _FINISH):
                await self.res.redis.script_load(script)

    async def consume(self, stop: asyncio.Event) -> None:
        try:
            if hasattr(self.handler, "decide"):
                await self._consume_claiming(stop)
            else:
                await self._consume(stop)
        finally:
            for task in list(self._tasks):
                task.cancel()  # unacknowledged: another worker claims them
            with suppress(Exception):
                await self.marks.flush(self.res.engine)  # shutdown: the held records, before the pool closes

    async def _group_ready(self, stop: asyncio.Event) -> None:
        """The group exists before the loop starts, however long Redis takes to be reachable."""
        while not stop.is_set():
            try:
                await self.ensure_group()
                return
            except Exception:
                log.warning("group_not_ready")
                await asyncio.sleep(1)

    async def _consume(self, stop: asyncio.Event) -> None:
        await self._group_ready(stop)
        claim_every, last_claim = min(10.0, self.claim_idle_ms / 1000), 0.0
        in_process = self.res.settings.redis_url is None
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            redis = self.res.redis  # looked up each time: the client may be replaced (tests do)
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

    async def read_and_claim(self) -> list[tuple[str, tuple[bytes, ...], Claimed | None]]:
        """One script: new entries, and for each phone its lock, its session and the CRM breaker."""
        if self.res.settings.redis_url is None:
            return await self._read_then_claim()
        token = uuid.uuid4().hex
        script = self.res.redis.register_script(_READ_CLAIM)
        limiter = self.sender.limiter
        window, rate_key = limiter.window_key()
        loop = asyncio.get_running_loop()
        read_breaker = loop.time() - self._breaker_read_at > BREAKER_FRESH
        got: Any = await script(
            keys=[STREAM, BREAKER_KEY, rate_key],
            args=[
                GROUP,
                self.consumer,
                50,
                token,
                int(HOLD_SECONDS * 1000),
                LOCK_PREFIX,
                "certobot:session:",
                "1" if read_breaker else "0",
                1,  # a spare send beyond one per phone: a turn may answer twice
                limiter.prepaid(),
                limiter.per_second,
            ],
        )
        rows, breaker_raw, granted = got[0], got[1], int(got[2])
        limiter.credit(window, granted)
        if breaker_raw:
            open_until, failures = [*breaker_raw, None, None][:2]
            self._breaker = (float(open_until or 0), int(failures or 0))
            self._breaker_read_at = loop.time()
        breaker = self._breaker
        by_phone: dict[str, list[bytes]] = {}
        claims: dict[str, Claimed | None] = {}
        for entry_id, key_raw, locked, raw in rows:
            key = key_raw.decode() if isinstance(key_raw, bytes) else str(key_raw)
            by_phone.setdefault(key, []).append(entry_id)
            if int(locked) == 1:
                claims[key] = Claimed(token, _session_of(raw), breaker)
            elif int(locked) == 0:
                claims[key] = None  # busy: its task waits for the lock the usual way
        return [(key, tuple(ids), claims.get(key)) for key, ids in by_phone.items()]

    async def _read_then_claim(self) -> list[tuple[str, tuple[bytes, ...], Claimed | None]]:
        """The in-process stand-in (`certobot up`) reads streams in scripts its own way: same steps, apart."""
        got: Any = await self.res.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=50)
        by_phone: dict[str, list[bytes]] = {}
        for _, batch in got or []:
            for entry_id, fields in batch:
                key = fields.get(b"k")
                by_phone.setdefault(key.decode() if key else "", []).append(entry_id)
        out: list[tuple[str, tuple[bytes, ...], Claimed | None]] = []
        for key, ids in by_phone.items():
            claimed: Claimed | None = None
            if key:
                token = uuid.uuid4().hex
                script = self.res.redis.register_script(_CLAIM)
                res: Any = await script(
                    keys=[LOCK_PREFIX + key, session_key(key), BREAKER_KEY], args=[token, int(HOLD_SECONDS * 1000)]
                )
                if int(res[0]) == 1:
                    open_until, failures = res[2]
                    claimed = Claimed(token, _session_of(res[1]), (float(open_until or 0), int(failures or 0)))
            out.append((key, tuple(ids), claimed))
        return out

    async def drain_once(self, *, flush: bool = False) -> int:
        """One pass of the claiming worker, awaited (tests and benchmarks): how many phones it served.

        Like the loop, it leaves the replies' records held for the next statement or the window's
        end (certobot.whatsapp.marks); `flush` writes them at once, as if the window had ended.
        """
        batch = await self.read_and_claim()
        await asyncio.gather(*(self._claimed_phone(key, ids, claimed) for key, ids, claimed in batch))
        if flush:
            await self.marks.flush(self.res.engine)
        return len(batch)

    async def _claimed_phone(self, key: str, ids: tuple[bytes, ...], claimed: Claimed | None) -> None:
        if not key:
            await self.res.redis.xack(STREAM, GROUP, *ids)  # not ours to read: drop it
            return
        try:
            await self.process_phone(key, ids, claimed)
        except TryLater as exc:
            log.warning("turn_deferred", reason=str(exc))
        except Exception:
            log.exception("process_phone_failed")

    async def _listen(self, wake: asyncio.Event, stop: asyncio.Event) -> None:
        """Wake the pass when a webhook announces (a push on an idle connection, not a round trip)."""
        while not stop.is_set():
            pubsub = self.res.redis.pubsub()
            try:
                await pubsub.subscribe(WAKE)
                while not stop.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("wake_listen_failed")
                await asyncio.sleep(1)
            finally:
                with suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

    async def _consume_claiming(self, stop: asyncio.Event) -> None:
        """Claim-and-read passes, woken by the webhook's publish; a slow poll covers a lost wake-up."""
        await self._group_ready(stop)
        in_process = self.res.settings.redis_url is None
        wake = asyncio.Event()
        listener = None if in_process else asyncio.create_task(self._listen(wake, stop))
        claim_every, last_claim = min(10.0, self.claim_idle_ms / 1000), 0.0
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                try:
                    if loop.time() - last_claim > claim_every:
                        last_claim = loop.time()
                        claimed: Any = await self.res.redis.xautoclaim(
                            STREAM, GROUP, self.consumer, self.claim_idle_ms, "0-0", count=50
                        )
                        if claimed[1]:
                            await self._handle_entries(claimed[1])
                    wake.clear()
                    batch = await self.read_and_claim()
                    for key, ids, got in batch:
                        await self._slots.acquire()
                        task = asyncio.create_task(self._claimed_slot(key, ids, got))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                    if batch:
                        continue
                    await wakeup.wait(wake, stop, 0.05 if in_process else 1.0)
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
        finally:
            if listener is not None:
                listener.cancel()

    async def _claimed_slot(self, key: str, ids: tuple[bytes, ...], claimed: Claimed | None) -> None:
        try:
            await self._claimed_phone(key, ids, claimed)
        finally:
            self._slots.release()

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
            await self.process_phone(key, tuple(ids))
        except TryLater as exc:
            log.warning("turn_deferred", reason=str(exc))
            return  # not acked; the sweeper announces the pending event again in a few seconds
        except Exception:
            log.exception("process_phone_failed")
            return  # not acked: redelivered to some worker after CLAIM_IDLE_MS
        finally:
            self._slots.release()

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
                if self.res.engine.dialect.name == "postgresql":
                    async with self.res.sessionmaker() as session, session.begin():
                        # Flood counters of minutes gone by (the webhook counts in the current one).
                        await session.execute(
                            delete(InboundFlood).where(InboundFlood.minute < int(time.time() // 60) - 2)
                        )
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
