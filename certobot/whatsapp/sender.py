"""Delivering queued WhatsApp messages in order, once, at the number's pace.

Rows of one conversation go out in the order they were queued; a row that must wait (rate limit,
Meta 5xx) holds the ones behind it, so a debtor never reads answers out of order.

One row, one commit: the conversation's due rows are leased in one short statement, each is sent
with no transaction or row lock open, and each result is recorded in its own short transaction.

A process killed between Meta's 200 and the record no longer sends that message twice: Meta takes
no idempotency key, but every request carries `biz_opaque_callback_data` = `ob:<outbox id>`, which
Meta echoes in the status webhooks about the message. The "sent" status arrives within seconds and
marks the row done and its transcript line sent with the wamid (certobot.whatsapp.statuses), while
the sweeper waits out the row's 120 s lease before it would send it again. Only when no status
comes in that time (Meta never took it, or the webhook stayed down) does that one message go out
again when the lease runs out — at least once, never a batch.

Retries happen in one place, the Graph client's stamina loop, which paces every attempt through
the per-number rate limit and retries only what cannot have been delivered (connect errors, 429,
Meta's documented transient codes). 131047 (outside the 24-hour window) falls back to the approved
opening template; a send whose answer was lost (read timeout) is recorded as failed rather than
sent a second time; anything else is permanent and recorded on the message.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from certobot import outbox
from certobot.metrics import GRAPH_ERRORS, MESSAGES_OUT
from certobot.negotiation.models import Conversation, Outbox
from certobot.resources import Resources
from certobot.templates.active import whatsapp_template
from certobot.whatsapp.marks import Mark, SentMarks, record
from certobot.whatsapp.models import Message
from certobot.whatsapp.ratelimit import SendRateLimiter
from certobot.whatsapp.statuses import opaque
from certokit import wakeup
from certokit.db import autocommit_sessions, utcnow
from certokit.logging import get_logger
from certokit.whatsapp.channel import ProviderError
from certokit.whatsapp.graph import SendResult, request_not_sent, template_message, with_callback_data

log = get_logger("certobot.sender")

Attempt = Literal["sent", "failed", "requeued", "retry"]

LOST_ANSWER = "sem resposta do WhatsApp depois do envio: não repetida, para não chegar duas vezes"


def _nothing_leased_before(conversation_id: str | None, now: Any) -> ColumnElement[bool]:
    """No earlier row of the conversation is leased by another worker: order before progress."""
    earlier = aliased(Outbox)
    same_conv = (
        earlier.conversation_id.is_(None) if conversation_id is None else earlier.conversation_id == conversation_id
    )
    return ~exists().where(
        and_(
            same_conv,
            earlier.kind == "whatsapp",
            earlier.status == "pending",
            earlier.locked_until > now,
            earlier.id < Outbox.id,
        )
    )


class Sender:
    def __init__(self, resources: Resources, marks: SentMarks | None = None) -> None:
        self.res = resources
        # With `marks` (the process's), a turn's last reply's record is held for the process's next
        # statement or the window's end (certobot.whatsapp.marks).
        self.marks = marks
        s = resources.settings
        self.limiter = SendRateLimiter(resources.redis, resources.provider.account_id, s.whatsapp_rate_per_second)
        # The lease and a message's "sent" are one statement each on Postgres (a data-modifying CTE
        # for the latter), so they run in autocommit: one round trip, no BEGIN/COMMIT around it.
        self._one_statement = resources.engine.dialect.name == "postgresql"
        # The sessions' pool, not the hot path's: the lease is an ORM statement (`status = $1`), whose
        # generic plan would scan the outbox (certokit.db.make_engine).
        self._quick = autocommit_sessions(resources.sessionmaker)

    async def deliver_conversation(self, conversation_id: str | None) -> int:
        """Send the due rows of one conversation in order; the caller holds its lock."""
        held = self.marks if self.marks is not None else self.res.marks
        if held:
            # A reply this process sent may still be held (certobot.whatsapp.marks): recorded first,
            # or the rows behind it (an operator's message, a retry) would wait for a later pass.
            await held.flush(self.res.engine)
        sent = 0
        while True:
            now = utcnow()
            async with self._quick() as quick, quick.begin():
                rows = await outbox.claim(
                    quick,
                    Outbox.kind == "whatsapp",
                    (
                        Outbox.conversation_id.is_(None)
                        if conversation_id is None
                        else Outbox.conversation_id == conversation_id
                    ),
                    _nothing_leased_before(conversation_id, now),
                    now=now,
                )
            # The lease is committed: no transaction is open while Meta answers.
            async with self.res.sessionmaker() as session:
                requeued, rest = False, []
                for i, row in enumerate(rows):
                    if row.next_attempt_at > now:
                        rest = rows[i:]  # waiting out a backoff holds the rows behind it: order first
                        break
                    result = await self._send(session, row)
                    if result == "retry":
                        rest = rows[i + 1 :]
                        break
                    sent += result == "sent"
                    requeued = requeued or result == "requeued"
                if rest:
                    async with session.begin():
                        await outbox.release(session, [r.id for r in rest])
            if not (requeued and not rest):
                return sent
            # a template took a message's place: send it now, in order

    async def deliver_rows(self, rows: list[Outbox]) -> int:
        """Send rows this worker leased when it wrote them (a turn's replies, from memory), in order.

        Each result is recorded by its own statement; what cannot go now is released for the
        periodic pass, and a template that took a message's place goes out right after.
        """
        sent, requeued = 0, False
        conversation_id = rows[0].conversation_id if rows else None
        async with self.res.sessionmaker() as session:
            for i, row in enumerate(rows):
                # Only the last may be held for a later statement: an earlier one is recorded before
                # the next goes out, so a crash never sends a conversation more than one message twice.
                result = await self._send(session, row, defer=i == len(rows) - 1)
                if result == "retry":
                    async with session.begin():
                        await outbox.release(session, [r.id for r in rows[i + 1 :]])
                    return sent
                sent += result == "sent"
                requeued = requeued or result == "requeued"
        if requeued:
            sent += await self.deliver_conversation(conversation_id)
        return sent

    async def _send(self, session: AsyncSession, row: Outbox, *, defer: bool = False) -> Attempt:
        """Try one row and record the result in its own short transaction (or, `defer`red, with the
        process's next statement or the window's end)."""
        to, message = row.payload["to"], row.payload["message"]
        try:
            await self.res.provider.pace(to, message)
            # The per-number limiter paces every attempt, retries included. The request names the
            # row for Meta to echo in its status webhooks: if this process dies before recording
            # the send, the "sent" status records it (certobot.whatsapp.statuses).
            result = await self.res.provider.send(
                to, with_callback_data(message, opaque(row.id)), pace=self.limiter.acquire
            )
        except ProviderError as exc:
            GRAPH_ERRORS.labels(code=str(exc.code or exc.status)).inc()
            async with session.begin():
                return await self._graph_error(session, row, message, exc)
        except httpx.HTTPError as exc:
            async with session.begin():
                if request_not_sent(exc):  # the client's retries ran out: Meta never saw it
                    await outbox.mark_retry(session, row, f"{type(exc).__name__}: {exc}")
                    await wakeup.notify(session, wakeup.SWEEP)  # the sweeper retries it after the backoff
                    return "retry"
                # The request may have reached Meta: sending it again could deliver it twice.
                error = {"status": None, "code": None, "message": LOST_ANSWER}
                await outbox.mark_failed(session, row, f"{type(exc).__name__}: {LOST_ANSWER}")
                await self._transcript(session, row, status="failed", error=error)
            MESSAGES_OUT.labels(result="unknown").inc()
            log.warning("whatsapp_send_answer_lost", error=type(exc).__name__)
            return "failed"
        if not (defer and self._defer_record(row, to, result)):
            await self._record_sent(session, row, to, result)
        MESSAGES_OUT.labels(result="sent").inc()
        return "sent"

    def _defer_record(self, row: Outbox, to: str, result: SendResult) -> bool:
        """Hold the record for the process's next statement (certobot.whatsapp.marks), when it is the plain one."""
        if self.marks is None or not self._one_statement or row.id is None or (result.wa_id and result.wa_id != to):
            return False
        message_id = row.message_id if row.message_id is not None else row.payload.get("message_id")
        self.marks.add(Mark(row.id, message_id, result.wamid or None))
        return True

    async def _record_sent(self, session: AsyncSession, row: Outbox, to: str, result: SendResult) -> None:
        """Right after Meta's answer: one statement on Postgres, one short transaction otherwise."""
        simple = not (row.conversation_id and result.wa_id and result.wa_id != to)
        if self._one_statement and simple and row.id is not None:
            message_id = row.message_id if row.message_id is not None else row.payload.get("message_id")
            await record(self.res.engine, [Mark(row.id, message_id, result.wamid or None)])
        else:
            async with session.begin():
                await self._sent(session, row, to, result)

    async def _sent(self, session: AsyncSession, row: Outbox, to: str, result: SendResult) -> None:
        await outbox.mark_done(session, row)
        await self._transcript(session, row, status="sent", wamid=result.wamid or None)
        if row.conversation_id and result.wa_id and result.wa_id != to:
            # Meta's answer names the account that really exists (e.g. a number from before the 9th digit).
            await session.execute(
                update(Conversation)
                .where(Conversation.id == row.conversation_id, Conversation.wa_id.is_distinct_from(result.wa_id))
                .values(wa_id=result.wa_id)
                .execution_options(synchronize_session=False)
            )

    async def _graph_error(
        self, session: AsyncSession, row: Outbox, message: dict[str, Any], exc: ProviderError
    ) -> Attempt:
        if exc.outside_window and message.get("type") != "template":
            return await self._fallback_template(session, row, exc)
        if exc.retryable:
            await outbox.mark_retry(session, row, str(exc))
            await wakeup.notify(session, wakeup.SWEEP)  # the sweeper retries it after the backoff
            return "retry"
        await outbox.mark_failed(session, row, str(exc))
        await self._transcript(session, row, status="failed", error=exc.as_dict())
        MESSAGES_OUT.labels(result="failed").inc()
        log.warning("whatsapp_send_failed", code=exc.code, status=exc.status)
        return "failed"

    @staticmethod
    async def _transcript(session: AsyncSession, row: Outbox, *, status: str, **values: Any) -> None:
        """Move this row's transcript line out of `queued`, in one UPDATE without loading it (status
        webhooks find a message by the wamid set here, so none can have moved it first)."""
        message_id = row.message_id if row.message_id is not None else row.payload.get("message_id")
        if message_id is not None:
            await session.execute(
                update(Message)
                .where(Message.id == message_id, Message.status == "queued")
                .values(status=status, **values)
            )

    async def _fallback_template(self, session: AsyncSession, row: Outbox, exc: ProviderError) -> Attempt:
        s = self.res.settings
        await self._transcript(session, row, status="failed", error=exc.as_dict())
        await outbox.mark_failed(session, row, str(exc))
        await outbox.put(
            session,
            kind="whatsapp",
            key=f"{row.idempotency_key}:template",
            conversation_id=row.conversation_id,
            payload={
                "message_id": None,
                "to": row.payload["to"],
                "message": template_message(
                    whatsapp_template(s, "wa_opening"), s.whatsapp_template_language, ["cliente", s.creditor_name]
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
                .where(
                    Outbox.kind == "whatsapp",
                    Outbox.status == "pending",
                    Outbox.next_attempt_at <= utcnow(),
                    or_(Outbox.locked_until.is_(None), Outbox.locked_until <= utcnow()),
                )
                .group_by(Outbox.conversation_id, Conversation.phone_key)
                .limit(limit)
            )
            return [(r[0], r[1]) for r in rows.all()]
