"""Reminders before each due date, a kind follow-up after an unpaid one, and broken agreements.

Each action has a unique key (`before:{boleto}`, `due:{boleto}`, `followup:{boleto}`,
`broken:{agreement}`) inserted in the same transaction as the message it queues: a tick repeated,
two workers, or a restart between ticks cannot send one twice. Actions are due over a range of days
rather than on one day, so a tick missed (worker down, outside contact hours) is caught up by the
next one instead of lost. Nothing is sent outside the contact hours or on a holiday.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.config import BotSettings, parse_days
from certobot.conversations.contact_policy import SAO_PAULO, within_contact_hours
from certobot.lifecycle import metrics, texts
from certobot.lifecycle.client import Agreement, AgreementsClient, Installment, Promise
from certobot.lifecycle.models import AgreementReminder
from certobot.lifecycle.service import conversation_of, in_window
from certobot.resources import Resources
from certobot.templates.active import whatsapp_template
from certobot.whatsapp.outbound import queue_message
from certokit.db import dialect_of, transaction
from certokit.logging import get_logger
from certokit.money import brl
from certokit.phones import wa_form
from certokit.whatsapp.graph import template_message, text_message

log = get_logger("certobot.lifecycle")


@dataclass(frozen=True)
class Action:
    kind: str  # before, due, followup, broken
    key: str
    installment: Installment | None = None
    days: int = 0  # days until the due date (negative: after)


@dataclass
class TickReport:
    sent: list[str] = field(default_factory=list)  # keys of the actions taken
    broken: list[str] = field(default_factory=list)
    skipped_outside_hours: bool = False


def actions_for(agreement: Agreement, today: date, settings: BotSettings) -> list[Action]:
    """What this agreement calls for today, whether or not it was already done (the keys decide)."""
    before_days = parse_days(settings.reminder_days_before)
    out: list[Action] = []
    for inst in agreement.installments:
        if inst.status not in ("open", "overdue") or inst.open_amount <= 0:
            continue  # a paid installment is never collected again
        days = (inst.due_date - today).days
        if days < 0 and -days >= settings.broken_after_days:
            return [Action("broken", f"broken:{agreement.agreement_id}")]
        if days > 0:
            # The closest configured day not yet passed: 3 days before, or 1, whichever comes next.
            window = [d for d in before_days if days <= d]
            if window:
                out.append(Action("before", f"before{min(window)}:{inst.boleto_id}", inst, days))
        elif days == 0 and settings.reminder_on_due_date:
            out.append(Action("due", f"due:{inst.boleto_id}", inst, 0))
        elif days < 0 and -days >= settings.followup_days_after:
            out.append(Action("followup", f"followup:{inst.boleto_id}", inst, days))
    return out


async def _claim(session: AsyncSession, agreement: Agreement, action: Action) -> bool:
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    stmt = (
        insert(AgreementReminder)
        .values(
            key=action.key,
            agreement_key=agreement.agreement_id,
            boleto_id=action.installment.boleto_id if action.installment else None,
            kind=action.kind,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def _queue(
    session: AsyncSession, agreement: Agreement, action: Action, settings: BotSettings, now: datetime
) -> None:
    inst = action.installment
    assert inst is not None
    first = agreement.debtor_name.split()[0] if agreement.debtor_name.split() else ""
    n = len(agreement.installments)
    if action.kind == "followup":
        body = texts.followup(first, inst.open_amount, inst.installment, n, inst.due_date)
    else:
        body = texts.reminder(first, inst.open_amount, inst.installment, n, inst.due_date, action.days)
    conv = await conversation_of(session, agreement.session_id)
    to = (conv.wa_id if conv is not None and conv.wa_id else None) or wa_form(agreement.debtor_phone)
    if await in_window(session, agreement.debtor_phone, now):
        message = text_message(body)
    elif action.kind == "followup":
        message = template_message(
            whatsapp_template(settings, "wa_followup"),
            settings.whatsapp_template_language,
            [first, f"{inst.due_date:%d/%m/%Y}"],
        )
    else:
        message = template_message(
            whatsapp_template(settings, "wa_reminder"),
            settings.whatsapp_template_language,
            [first, brl(inst.open_amount), f"{inst.installment}/{n}", f"{inst.due_date:%d/%m/%Y}"],
        )
    await queue_message(
        session,
        conversation_id=conv.id if conv is not None else None,
        to=to,
        message=message,
        transcript=body,
        key=f"reminder:{action.key}",
        wake=True,
    )


async def tick(resources: Resources) -> TickReport:
    """One pass over the active agreements: read from the CRM, then one short transaction per action."""
    settings, now = resources.settings, resources.clock.now()
    report = TickReport()
    agreements = await AgreementsClient(resources.http, settings).active()
    today = now.astimezone(SAO_PAULO).date()
    may_write = within_contact_hours(now, settings)
    report.skipped_outside_hours = not may_write
    for agreement in agreements:
        for action in actions_for(agreement, today, settings):
            if action.kind == "broken":
                # Told to the CRM first (its break is idempotent), then recorded: a crash in between
                # breaks it again harmlessly on the next tick; the agreement then leaves the active list.
                await AgreementsClient(resources.http, settings).mark_broken(agreement.agreement_id)
                async with transaction(resources.sessionmaker) as session:
                    if await _claim(session, agreement, action):
                        metrics.BROKEN.inc()
                report.broken.append(agreement.agreement_id)
                continue
            if not may_write or agreement.debtor_opted_out:
                continue
            async with transaction(resources.sessionmaker) as session:
                if not await _claim(session, agreement, action):
                    continue
                await _queue(session, agreement, action, settings, now)
            metrics.REMINDERS.labels(kind=action.kind).inc()
            report.sent.append(action.key)
    if may_write:
        await _promises(resources, today, now, report)
        await _follow_ups(resources, today, now, report)
    return report


async def _promises(resources: Resources, today: date, now: datetime, report: TickReport) -> None:
    """A promise to pay on a date (no installments agreed) gets the same kind follow-up once it passed."""
    settings = resources.settings
    promises = await AgreementsClient(resources.http, settings).promises(
        today - timedelta(days=settings.broken_after_days), today - timedelta(days=settings.followup_days_after)
    )
    for p in promises:
        first = _first(p)
        params = [first, f"{p.promised_date:%d/%m/%Y}"]
        body = texts.promise_followup(first, p.promised_date)
        if await _once(
            resources,
            p,
            f"promise:{p.promise_id}",
            "promise",
            body,
            whatsapp_template(settings, "wa_followup"),
            params,
            now,
        ):
            report.sent.append(f"promise:{p.promise_id}")


async def _follow_ups(resources: Resources, today: date, now: datetime, report: TickReport) -> None:
    """ "Agora não dá, depois eu vejo": one message on the day the debtor chose (or the first day the
    contact rules allow after it), exactly once, unless they came back or settled in between. Outside
    the 24-hour window only the approved opening template may start the conversation."""
    settings = resources.settings
    due = await AgreementsClient(resources.http, settings).promises(
        today - timedelta(days=settings.broken_after_days), today, kind="follow_up"
    )
    for p in due:
        first = _first(p)
        params = [first, settings.creditor_name]
        body = texts.later_followup(first)
        if await _once(
            resources,
            p,
            f"later:{p.promise_id}",
            "follow_up",
            body,
            whatsapp_template(settings, "wa_opening"),
            params,
            now,
        ):
            report.sent.append(f"later:{p.promise_id}")


def _first(p: Promise) -> str:
    return p.debtor_name.split()[0] if p.debtor_name.split() else ""


async def _once(
    resources: Resources,
    p: Promise,
    key: str,
    kind: str,
    body: str,
    template: str,
    params: list[str],
    now: datetime,
) -> bool:
    """Queue one message for a promise unless it was kept, the debtor opted out, or it went already."""
    if p.kept or p.debtor_opted_out:
        return False
    settings = resources.settings
    async with transaction(resources.sessionmaker) as session:
        insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
        claimed = await session.execute(
            insert(AgreementReminder)
            .values(key=key, agreement_key=kind, kind=kind)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return False
        conv = await conversation_of(session, p.session_id)
        to = (conv.wa_id if conv is not None and conv.wa_id else None) or wa_form(p.debtor_phone)
        message = (
            text_message(body)
            if await in_window(session, p.debtor_phone, now)
            else template_message(template, settings.whatsapp_template_language, params)
        )
        await queue_message(
            session,
            conversation_id=conv.id if conv is not None else None,
            to=to,
            message=message,
            transcript=body,
            key=f"reminder:{key}",
            wake=True,
        )
    metrics.REMINDERS.labels(kind=kind).inc()
    return True


async def run_reminders(resources: Resources, stop: asyncio.Event) -> None:
    """Every LIFECYCLE_INTERVAL_SECONDS, a tick; a failing tick (CRM down) waits for the next."""
    interval = resources.settings.lifecycle_interval_seconds
    while not stop.is_set():
        with suppress(TimeoutError):  # the interval passed without a stop: tick
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        try:
            report = await tick(resources)
            if report.sent or report.broken:
                log.info("lifecycle_tick", sent=len(report.sent), broken=len(report.broken))
        except Exception as exc:  # the CRM or the database is down: the next tick catches up
            log.warning("lifecycle_tick_failed", error=type(exc).__name__)
