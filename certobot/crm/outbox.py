"""CRM side effects (outcomes, contact log) delivered through the outbox, so a CRM outage loses none.

Each session's outcome is keyed by `session_id` twice over: the outbox row (`outcome:{id}`) and the
CRM's own idempotency on the same id, so it reaches the CRM exactly once however often we retry.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot import outbox
from certobot.crm.client import CrmBreakerOpen, CrmClient, CrmError, CrmUnavailable
from certobot.crm.schemas import ContactRequest, ConversationOutcome
from certobot.lifecycle.metrics import count_promise
from certobot.metrics import OUTCOMES
from certobot.negotiation.models import Outbox
from certokit import lanes, leases, wakeup
from certokit.db import utcnow
from certokit.logging import get_logger

log = get_logger("certobot.crm.outbox")


async def queue_outcome(session: AsyncSession, outcome: ConversationOutcome) -> bool:
    return await outbox.put(
        session,
        kind="crm_outcome",
        key=f"outcome:{outcome.session_id}",
        payload=outcome.model_dump(mode="json"),
        conversation_id=outcome.session_id,
    )


async def queue_contact(session: AsyncSession, cpf: str, entry: ContactRequest, key: str) -> bool:
    return await outbox.put(
        session,
        kind="crm_contact",
        key=key,
        payload={"cpf": cpf, "entry": entry.model_dump(mode="json")},
        conversation_id=entry.session_id,
    )


async def queue_cancel(session: AsyncSession, session_id: str) -> bool:
    """The CRM cancels an agreement (its boletos stop being valid) once this row is delivered."""
    return await outbox.put(
        session,
        kind="crm_cancel",
        key=f"cancel:{session_id}",
        payload={"session_id": session_id},
        conversation_id=session_id,
    )


PASS_LIMIT = 50  # rows leased per pass
# Conversations whose rows are delivered at once. One at a time, a pass waits out each POST's whole
# round trip (the CRM issues the boleto and renders its PDF inside the outcome's), so a backlog
# drained at about 42 outcomes a second after a burst and a dozen after an outage, the bot's side
# waiting on every answer in turn. Each conversation's rows still go in order, one after the other
# (its contact log, its outcome, a cancel); a few lanes keep the CRM busy without flooding it.
LANES = 4
CRM_KINDS = ("crm_outcome", "crm_contact", "crm_cancel")
UNAVAILABLE = "CRM indisponível"  # how a row that met the CRM away records it


class _Pass:
    """One pass's shared state: the two sessions (one connection each, so their statements take
    turns under `db`), how many rows reached the CRM, and whether the CRM was found away — after
    which no lane starts another row and the rows not started are given back."""

    def __init__(self, quick: AsyncSession, session: AsyncSession) -> None:
        self.quick = quick
        self.session = session
        self.db = asyncio.Lock()
        self.delivered = 0
        self.halted = False
        self.unstarted: list[int] = []

    async def lane(self, client: CrmClient, rows: list[Outbox]) -> None:
        for i, row in enumerate(rows):
            if self.halted:
                self.unstarted.extend(r.id for r in rows[i:])
                return
            try:
                await _post(client, row)
            except CrmBreakerOpen:
                # Not tried at all: nothing counts against the rows (an attempt each would grow their
                # backoff through an outage and hold them back long after the CRM is back).
                self.halted = True
                self.unstarted.extend(r.id for r in rows[i:])
                return
            except CrmUnavailable as exc:
                self.halted = True  # the CRM is down: the rest waits for the next pass
                async with self.db, self.session.begin():
                    await outbox.mark_retry(self.session, row, f"{UNAVAILABLE}: {exc}")
                self.unstarted.extend(r.id for r in rows[i + 1 :])
                return
            except CrmError as exc:
                async with self.db, self.session.begin():
                    # A cancel may overtake the outcome it cancels (both wait in this outbox): 404 is "not yet".
                    not_yet = row.kind == "crm_cancel" and exc.status == 404
                    if not_yet or exc.status in (408, 409, 425, 429) or exc.status >= 500:
                        await outbox.mark_retry(self.session, row, f"{exc.status}: {exc.detail}")
                    else:
                        # A 4xx will never succeed: keep the row, visible, for a person to look at.
                        await outbox.mark_failed(self.session, row, f"{exc.status}: {exc.detail}")
                        log.error("crm_delivery_rejected", kind=row.kind, status=exc.status)
            except Exception as exc:
                # Anything else (Redis away mid-restart under the client's breaker and cache): this row
                # is tried again shortly and the rest of the batch given back now. Left to propagate,
                # the whole batch would stay leased to this live process for the full LEASE.
                log.exception("crm_delivery_failed", kind=row.kind)
                self.halted = True
                async with self.db, self.session.begin():
                    await outbox.mark_retry(self.session, row, f"erro inesperado: {type(exc).__name__}")
                self.unstarted.extend(r.id for r in rows[i + 1 :])
                return
            else:
                async with self.db, self.quick.begin():
                    await outbox.mark_done(self.quick, row)
                self.delivered += 1


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: CrmClient,
    *,
    limit: int = PASS_LIMIT,
    width: int = LANES,
) -> int:
    """Deliver the due CRM rows, one row one commit; returns how many reached the CRM.

    The rows are leased in one short statement and the POSTs run with no transaction open, up to
    `width` conversations at once; each result is recorded on its own, so a crash re-posts at most
    the rows in flight (one per lane) — and each carries the same `Idempotency-Key`, which the CRM
    answers from its stored response. The lease names the backend of the connection held for the
    batch: after a crash the rows not yet recorded are delivered by the next pass of any live
    process, not two minutes later.
    """
    # The lease and each "done" are one statement each: in autocommit, one round trip apiece (this
    # loop wakes on every row the turns queue). A failure's record keeps its short transaction.
    async with leases.held_session(sessionmaker) as quick, sessionmaker() as session:
        async with quick.begin():
            rows = await outbox.claim(
                quick,
                Outbox.kind.in_(CRM_KINDS),
                Outbox.next_attempt_at <= utcnow(),
                limit=limit,
                holder=await leases.backend_pid(quick),
            )
        run = _Pass(quick, session)
        await lanes.run(lanes.by_key(rows, lambda r: r.conversation_id), lambda lane: run.lane(client, lane), width)
        if run.unstarted:
            async with session.begin():
                await outbox.release(session, run.unstarted)
        if run.delivered:
            # The CRM answers again: rows backing off because it was away need not wait out their
            # backoff (the oldest row, tried first on every pass of an outage, earns the longest).
            async with quick.begin():
                await quick.execute(
                    update(Outbox)
                    .where(
                        Outbox.kind.in_(CRM_KINDS),
                        Outbox.status == "pending",
                        Outbox.next_attempt_at > utcnow(),
                        Outbox.last_error.like(f"{UNAVAILABLE}%"),
                    )
                    .values(next_attempt_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
    return run.delivered


async def _post(client: CrmClient, row: Outbox) -> None:
    if row.kind == "crm_outcome":
        outcome = ConversationOutcome.model_validate(row.payload)
        await client.post_outcome(outcome, idempotency_key=row.idempotency_key)
        OUTCOMES.labels(outcome=outcome.outcome).inc()
        count_promise(outcome.outcome, outcome.agreed_amount, outcome.installments)
    elif row.kind == "crm_cancel":
        await client.cancel_agreement(row.payload["session_id"], idempotency_key=row.idempotency_key)
    else:
        entry = ContactRequest.model_validate(row.payload["entry"])
        await client.log_contact(row.payload["cpf"], entry, idempotency_key=row.idempotency_key)


async def run_outbox_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: CrmClient,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    every: float = 15.0,
) -> None:
    """Deliver whenever `wake` is set (a NOTIFY from the outbox trigger), at the latest every `every` s."""
    wake = wake or asyncio.Event()
    while not stop.is_set():
        try:
            delivered = await deliver_due(sessionmaker, client, limit=PASS_LIMIT)
        except Exception:
            log.exception("crm_outbox_pass_failed")
            delivered = 0
        if delivered >= PASS_LIMIT:
            # A full pass, all delivered: more rows are probably due, and their NOTIFYs were spent on
            # this pass. Without going again, a backlog left by a burst (or by a CRM outage that
            # ended) would drain one pass per fallback poll: 50 rows every 15 s.
            continue
        try:
            due = await next_due(sessionmaker)
        except Exception:
            log.exception("crm_outbox_pass_failed")
            due = None
        # A retry due in a second (no NOTIFY announces it) is tried then, not at the fallback poll;
        # never sooner than a second, so rows given back by a pass that met a CRM down wait a moment.
        await wakeup.wait(wake, stop, wakeup.until(due, utcnow(), every, at_least=1.0))


async def next_due(sessionmaker: async_sessionmaker[AsyncSession]) -> datetime | None:
    """When a CRM row can next be tried: the earliest retry of a free row, or the earliest lease end."""
    now = utcnow()
    pending = Outbox.kind.in_(CRM_KINDS), Outbox.status == "pending"
    async with sessionmaker() as session:
        free = await session.scalar(
            select(func.min(Outbox.next_attempt_at)).where(
                *pending, (Outbox.locked_until.is_(None)) | (Outbox.locked_until <= now)
            )
        )
        leased = await session.scalar(select(func.min(Outbox.locked_until)).where(*pending, Outbox.locked_until > now))
    times: list[datetime] = [t for t in (free, leased) if t is not None]
    return min(times, default=None)
