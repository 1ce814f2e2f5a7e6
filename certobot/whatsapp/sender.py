"""Delivering queued WhatsApp messages in order, once, at the number's pace.

Rows of one conversation go out in the order they were queued; a row that must wait (rate limit,
Meta 5xx) holds the ones behind it, so a debtor never reads answers out of order. Meta's errors:
130429/131056/5xx are retried with backoff and jitter (in the Graph client, then by the outbox);
131047 (outside the 24-hour window) falls back to the approved opening template; anything else is
permanent and recorded on the message.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from certobot import outbox
from certobot.metrics import GRAPH_ERRORS, MESSAGES_OUT
from certobot.negotiation.models import Conversation, Outbox
from certobot.resources import Resources
from certobot.whatsapp.models import Message
from certobot.whatsapp.ratelimit import SendRateLimiter
from certokit.db import utcnow
from certokit.logging import get_logger
from certokit.whatsapp.channel import ProviderError
from certokit.whatsapp.graph import template_message

log = get_logger("certobot.sender")

Attempt = Literal["sent", "failed", "requeued", "retry"]


class Sender:
    def __init__(self, resources: Resources) -> None:
        self.res = resources
        s = resources.settings
        self.limiter = SendRateLimiter(resources.redis, resources.provider.account_id, s.whatsapp_rate_per_second)

    async def deliver_conversation(self, conversation_id: str | None) -> int:
        """Send the due rows of one conversation in order; the caller holds its lock.

        The rows are read in one query; each send is committed on its own right after Meta answers,
        so a crash re-sends at most the one message in flight.
        """
        sent = 0
        async with self.res.sessionmaker() as session:
            while True:
                rows = await outbox.claim_pending(
                    session, Outbox.kind == "whatsapp", Outbox.conversation_id == conversation_id
                )
                requeued = False
                for row in rows:
                    if row.next_attempt_at > utcnow():
                        break  # waiting out a backoff holds the rows behind it: order first
                    result = await self._send(session, row)
                    await session.commit()
                    if result == "retry":
                        break
                    if result == "sent":
                        sent += 1
                    requeued = requeued or result == "requeued"
                else:
                    if requeued:
                        continue  # a template took a message's place: send it now, in order
                break
            await session.commit()
        return sent

    async def _send(self, session: AsyncSession, row: Outbox) -> Attempt:
        """Try one row: sent, failed for good, replaced by a template (requeued), or to retry later."""
        to, message = row.payload["to"], row.payload["message"]
        await self.limiter.acquire()
        try:
            await self.res.provider.pace(to, message)
            result = await self.res.provider.send(to, message)
        except ProviderError as exc:
            GRAPH_ERRORS.labels(code=str(exc.code or exc.status)).inc()
            if exc.outside_window and message.get("type") != "template":
                return await self._fallback_template(session, row, exc)
            if exc.retryable:
                outbox.mark_retry(row, str(exc))
                return "retry"
            outbox.mark_failed(row, str(exc))
            await self._transcript(session, row, status="failed", error=exc.as_dict())
            MESSAGES_OUT.labels(result="failed").inc()
            log.warning("whatsapp_send_failed", code=exc.code, status=exc.status)
            return "failed"
        except Exception as exc:  # network trouble past the client's own retries
            outbox.mark_retry(row, f"{type(exc).__name__}: {exc}")
            return "retry"
        outbox.mark_done(row)
        MESSAGES_OUT.labels(result="sent").inc()
        await self._transcript(session, row, status="sent", wamid=result.wamid or None)
        if row.conversation_id and result.wa_id and result.wa_id != to:
            conv = await session.get(Conversation, row.conversation_id)
            if conv is not None and conv.wa_id != result.wa_id:
                conv.wa_id = result.wa_id  # Meta's answer names the account that really exists
        return "sent"

    @staticmethod
    async def _transcript(session: AsyncSession, row: Outbox, *, status: str, **values: Any) -> None:
        """Move this row's transcript line out of `queued`, in one UPDATE without loading it (status
        webhooks find a message by the wamid set here, so none can have moved it first)."""
        message_id = row.payload.get("message_id")
        if message_id is not None:
            await session.execute(
                update(Message)
                .where(Message.id == message_id, Message.status == "queued")
                .values(status=status, **values)
            )

    async def _fallback_template(self, session: AsyncSession, row: Outbox, exc: ProviderError) -> Attempt:
        s = self.res.settings
        await self._transcript(session, row, status="failed", error=exc.as_dict())
        outbox.mark_failed(row, str(exc))
        await outbox.put(
            session,
            kind="whatsapp",
            key=f"{row.idempotency_key}:template",
            conversation_id=row.conversation_id,
            payload={
                "message_id": None,
                "to": row.payload["to"],
                "message": template_message(
                    s.whatsapp_opening_template, s.whatsapp_template_language, ["cliente", s.creditor_name]
                ),
            },
        )
        return "requeued"

    async def due_conversations(self, limit: int = 100) -> list[tuple[str | None, str | None]]:
        """(conversation id, phone key) of conversations with due rows: for the periodic pass."""
        async with self.res.sessionmaker() as session:
            rows = await session.execute(
                select(Outbox.conversation_id, Conversation.phone_key)
                .outerjoin(Conversation, Conversation.id == Outbox.conversation_id)
                .where(Outbox.kind == "whatsapp", Outbox.status == "pending", Outbox.next_attempt_at <= utcnow())
                .group_by(Outbox.conversation_id, Conversation.phone_key)
                .limit(limit)
            )
            return [(r[0], r[1]) for r in rows.all()]
