"""The numbers of a period, counted in debtors (distinct CPFs), not in conversations.

A debtor contacted twice in a week is one debtor contacted; each later step counts the debtors
of the period who reached it in any of their conversations.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.dashboard.schemas import Step, Summary
from certobot.negotiation.models import Conversation, Outbox
from certobot.operators.models import AuditEntry
from certobot.whatsapp.models import Message
from certokit.errors import Invalid
from certokit.money import q

SP = ZoneInfo("America/Sao_Paulo")
MAX_DAYS = 366
CONFIRMED_PHASES = ("negotiation", "agreement")  # "completion" is also where an opt-out ends
CONFIRMED_OUTCOMES = ("successful", "partially_successful", "unsuccessful")


class PeriodInvalid(Invalid):
    detail = "Período inválido: 'from' deve vir antes de 'to', no máximo 366 dias."


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    end = end or today
    start = start or end - timedelta(days=6)
    if start > end or (end - start).days >= MAX_DAYS:
        raise PeriodInvalid()
    return start, end


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(), SP), datetime.combine(end + timedelta(days=1), time(), SP)


def _rate(n: int, of: int) -> Decimal | None:
    return (Decimal(n) / Decimal(of)).quantize(Decimal("0.0001")) if of else None


async def summary(db: AsyncSession, start: date, end: date) -> Summary:
    lo, hi = _bounds(start, end)
    convs = (
        await db.scalars(
            select(Conversation).where(
                Conversation.created_at >= lo, Conversation.created_at < hi, Conversation.debtor_cpf.is_not(None)
            )
        )
    ).all()
    ids = [c.id for c in convs]
    by_id = {c.id: c for c in convs}
    contacted = {c.debtor_cpf for c in convs}
    answered = {c.debtor_cpf for c in convs if c.last_inbound_at is not None}
    confirmed = {c.debtor_cpf for c in convs if c.phase in CONFIRMED_PHASES or c.outcome_kind in CONFIRMED_OUTCOMES}
    agreed = [c for c in convs if c.outcome_kind == "successful"]
    amount = sum((q(str((c.outcome or {}).get("agreed_amount") or "0")) for c in agreed), Decimal("0"))

    handed: set[str] = {c.id for c in convs if c.status == "handoff"}
    opted: set[str] = set()
    firsts: list[float] = []
    for chunk in (ids[i : i + 1000] for i in range(0, len(ids), 1000)):
        taken = await db.scalars(
            select(AuditEntry.target).where(AuditEntry.action == "takeover", AuditEntry.target.in_(chunk))
        )
        handed.update(t for t in taken if t)
        contacts = await db.execute(
            select(Outbox.conversation_id, Outbox.payload).where(
                Outbox.kind == "crm_contact", Outbox.conversation_id.in_(chunk)
            )
        )
        for conv_id, payload in contacts.all():
            if conv_id and (payload.get("entry") or {}).get("kind") == "opt_out":
                opted.add(by_id[conv_id].debtor_cpf or conv_id)
        msgs = await db.execute(
            select(Message.conversation_id, Message.direction, Message.created_at)
            .where(Message.conversation_id.in_(chunk))
            .order_by(Message.conversation_id, Message.created_at, Message.id)
        )
        timeline: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        for conv_id, direction, at in msgs.all():
            if conv_id:
                timeline[conv_id].append((direction, at))
        for events in timeline.values():
            first_in = next((at for d, at in events if d == "in"), None)
            if first_in is None:
                continue
            reply = next((at for d, at in events if d == "out" and at >= first_in), None)
            if reply is not None:
                firsts.append((reply - first_in).total_seconds())

    agreements = len({c.debtor_cpf for c in agreed})
    counts = [
        ("contacted", "Contatados", len(contacted)),
        ("answered", "Responderam", len(answered)),
        ("identity_confirmed", "Identidade confirmada", len(confirmed)),
        ("agreements", "Acordos", agreements),
    ]
    funnel = [
        Step(key=k, label=label, count=n, rate=_rate(n, counts[i - 1][2]) if i else None)
        for i, (k, label, n) in enumerate(counts)
    ]
    median = Decimal(str(round(statistics.median(firsts), 1))) if firsts else None
    return Summary(
        start=start,
        end=end,
        contacted=len(contacted),
        answered=len(answered),
        identity_confirmed=len(confirmed),
        agreements=agreements,
        amount_negotiated=amount,
        handoffs=len(handed),
        opt_outs=len(opted),
        median_first_response_seconds=median,
        funnel=funnel,
    )


def as_csv(s: Summary) -> str:
    """The numbers as a spreadsheet opens them in Brazil: semicolons, decimal comma."""

    def num(v: Decimal | int | None) -> str:
        return "" if v is None else str(v).replace(".", ",")

    rows = [
        ("Período", f"{s.start.strftime('%d/%m/%Y')} a {s.end.strftime('%d/%m/%Y')}"),
        ("Devedores contatados", num(s.contacted)),
        ("Responderam", num(s.answered)),
        ("Identidade confirmada", num(s.identity_confirmed)),
        ("Acordos", num(s.agreements)),
        ("Valor negociado (R$)", num(s.amount_negotiated)),
        ("Transferidas para atendente", num(s.handoffs)),
        ("Pediram para não receber", num(s.opt_outs)),
        ("Mediana da primeira resposta (s)", num(s.median_first_response_seconds)),
    ]
    rows += [(f"Conversão: {step.label}", num(step.rate)) for step in s.funnel[1:]]
    return "\r\n".join(f"{k};{v}" for k, v in [("Indicador", "Valor"), *rows]) + "\r\n"
