"""The bot's side of a payment: one receipt per payment, a closing message when the agreement is paid.

Inside the 24-hour customer-service window the debtor reads free text; outside it, the approved
utility templates (Meta refuses free text there with 131047).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.config import BotSettings
from certobot.lifecycle import metrics, texts
from certobot.lifecycle.models import PaymentNotice
from certobot.lifecycle.schemas import AgreementSummary, PaymentEvent
from certobot.negotiation.models import Conversation
from certobot.templates.active import whatsapp_template
from certobot.whatsapp.outbound import queue_message
from certokit.db import dialect_of
from certokit.money import brl
from certokit.phones import phone_key, wa_form
from certokit.whatsapp.graph import template_message, text_message

WINDOW = timedelta(hours=24)


async def in_window(session: AsyncSession, phone: str, now: datetime) -> bool:
    """Whether the debtor wrote to us in the last 24 hours (any conversation of this number)."""
    key = phone_key(phone)
    if key is None:
        return False
    last = await session.scalar(select(func.max(Conversation.last_inbound_at)).where(Conversation.phone_key == key))
    return last is not None and now - last < WINDOW


async def conversation_of(session: AsyncSession, session_id: str | None) -> Conversation | None:
    return await session.get(Conversation, session_id) if session_id is not None else None


async def record_payment(session: AsyncSession, event: PaymentEvent, settings: BotSettings, now: datetime) -> bool:
    """Store the notice once and queue its messages; False when `event_id` was seen before."""
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    stmt = (
        insert(PaymentNotice)
        .values(
            event_id=event.event_id,
            session_id=event.session_id,
            agreement_key=event.agreement_id,
            payload=event.model_dump(mode="json"),
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    if not (await session.execute(stmt)).rowcount:  # type: ignore[attr-defined]
        return False
    conv = await conversation_of(session, event.session_id)
    conv_id = conv.id if conv is not None else None
    # The account Meta named for this number when we last wrote (it may lack the ninth digit).
    to = (conv.wa_id if conv is not None and conv.wa_id else None) or wa_form(event.phone)
    free = await in_window(session, event.phone, now)
    receipt = texts.receipt(
        event.amount,
        event.installment,
        event.installments,
        open_in_installment=event.installment_open_amount,
        excess=event.excess_amount,
    )
    message = (
        text_message(receipt)
        if free
        else template_message(
            whatsapp_template(settings, "wa_receipt"),
            settings.whatsapp_template_language,
            [brl(event.amount), str(event.installment), str(event.installments)],
        )
    )
    await queue_message(
        session,
        conversation_id=conv_id,
        to=to,
        message=message,
        transcript=receipt,
        key=f"receipt:{event.payment_id}",
        wake=True,
    )
    metrics.PAYMENTS.labels(outcome=event.outcome).inc()
    metrics.RECOVERED_CENTS.inc(int(event.applied_amount * 100))
    if event.agreement_status == "paid":
        closing = texts.closing(event.debtor_first_name)
        message = (
            text_message(closing)
            if free
            else template_message(
                whatsapp_template(settings, "wa_closing"),
                settings.whatsapp_template_language,
                [event.debtor_first_name],
            )
        )
        # Keyed on the agreement: whichever payment closes it, the debtor reads it once.
        fresh = await queue_message(
            session,
            conversation_id=conv_id,
            to=to,
            message=message,
            transcript=closing,
            key=f"closing:{event.agreement_id}",
            wake=True,
        )
        if fresh is not None:
            metrics.PROMISES_KEPT.inc()
    return True


async def agreement_summary(session: AsyncSession, session_id: str) -> AgreementSummary | None:
    """The conversation's agreement as the CRM last reported it (None before any payment)."""
    rows = (
        await session.scalars(
            select(PaymentNotice).where(PaymentNotice.session_id == session_id).order_by(PaymentNotice.id)
        )
    ).all()
    if not rows:
        return None
    last = PaymentEvent.model_validate(rows[-1].payload)
    return AgreementSummary(
        agreement_id=last.agreement_id,
        status=last.agreement_status,
        paid_amount=last.agreement_paid_amount,
        open_amount=last.agreement_open_amount,
        payments=len(rows),
    )
