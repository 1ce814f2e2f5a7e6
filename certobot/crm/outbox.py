"""CRM side effects (outcomes, contact log) delivered through the outbox, so a CRM outage loses none.

Each session's outcome is keyed by `session_id` twice over: the outbox row (`outcome:{id}`) and the
CRM's own idempotency on the same id, so it reaches the CRM exactly once however often we retry.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot import outbox
from certobot.crm.client import CrmClient, CrmError, CrmUnavailable
from certobot.crm.schemas import ContactRequest, ConversationOutcome
from certobot.db import utcnow
from certobot.lifecycle.metrics import count_promise
from certobot.logging import get_logger
from certobot.metrics import OUTCOMES
from certobot.negotiation.models import Outbox

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


async def deliver_due(sessionmaker: async_sessionmaker[AsyncSession], client: CrmClient, *, limit: int = 50) -> int:
    """Deliver the due CRM rows; returns how many reached the CRM."""
    delivered = 0
    async with sessionmaker() as session, session.begin():
        rows = await outbox.claim_pending(
            session,
            Outbox.kind.in_(("crm_outcome", "crm_contact")),
            Outbox.next_attempt_at <= utcnow(),
            limit=limit,
        )
        for row in rows:
            try:
                if row.kind == "crm_outcome":
                    outcome = ConversationOutcome.model_validate(row.payload)
                    await client.post_outcome(outcome)
                    OUTCOMES.labels(outcome=outcome.outcome).inc()
                    count_promise(outcome.outcome, outcome.agreed_amount, outcome.installments)
                else:
                    await client.log_contact(row.payload["cpf"], ContactRequest.model_validate(row.payload["entry"]))
            except CrmUnavailable as exc:
                outbox.mark_retry(row, f"CRM indisponível: {exc}")
                break  # the CRM is down: the rest waits for the next pass
            except CrmError as exc:
                if exc.status in (408, 409, 425, 429) or exc.status >= 500:
                    outbox.mark_retry(row, f"{exc.status}: {exc.detail}")
                else:
                    # A 4xx will never succeed: keep the row, visible, for a person to look at.
                    outbox.mark_failed(row, f"{exc.status}: {exc.detail}")
                    log.error("crm_delivery_rejected", kind=row.kind, status=exc.status)
            else:
                outbox.mark_done(row)
                delivered += 1
    return delivered


async def run_outbox_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: CrmClient,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    every: float = 1.0,
) -> None:
    wake = wake or asyncio.Event()
    while not stop.is_set():
        try:
            await deliver_due(sessionmaker, client)
        except Exception:
            log.exception("crm_outbox_pass_failed")
        wake.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=every)
