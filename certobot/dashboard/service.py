"""The numbers of a period, counted in debtors (distinct CPFs), not in conversations.

A debtor contacted twice in a week is one debtor contacted; each later step counts the debtors
of the period who reached it in any of their conversations.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.campaigns.models import Campaign
from certobot.campaigns.schemas import Segment
from certobot.campaigns.service import portfolio
from certobot.crm.client import CrmClient
from certobot.dashboard.schemas import Filters, Step, Summary
from certobot.inbox.models import InboxCard
from certobot.lifecycle.models import PaymentNotice
from certobot.negotiation.models import Conversation, Outbox
from certobot.operators.models import AuditEntry
from certobot.whatsapp.models import Message
from certokit.cpf import mask_cpf
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


@dataclass(frozen=True)
class Scope:
    """Which conversations count: all, or a creditor's debtors (by CPF), or a segment's campaigns."""

    creditor: str | None = None
    segment: str | None = None
    cpfs: frozenset[str] | None = None
    campaign_ids: frozenset[str] | None = None

    def holds(self, conv: Conversation) -> bool:
        if self.cpfs is not None and conv.debtor_cpf not in self.cpfs:
            return False
        return self.campaign_ids is None or conv.campaign_id in self.campaign_ids


async def creditors(crm: CrmClient) -> dict[str, set[str]]:
    """The portfolio's creditors and their debtors' CPFs. The bot keeps no copy of the portfolio,
    so this asks the CRM (a page of 500 at a time) with no transaction open."""
    out: dict[str, set[str]] = defaultdict(set)
    for d in await portfolio(crm, Segment()):
        if d.original_creditor:
            out[d.original_creditor].add(d.cpf)
    return out


async def scope(db: AsyncSession, crm: CrmClient | None, creditor: str | None, segment: str | None) -> Scope:
    cpfs = None
    if creditor and crm is not None:
        wanted = creditor.casefold()
        cpfs = frozenset(
            c for name, group in (await creditors(crm)).items() if name.casefold() == wanted for c in group
        )
    campaign_ids = None
    if segment:
        campaign_ids = frozenset((await db.scalars(select(Campaign.id).where(Campaign.segment_name == segment))).all())
    return Scope(creditor=creditor, segment=segment, cpfs=cpfs, campaign_ids=campaign_ids)


async def filters(db: AsyncSession, crm: CrmClient) -> Filters:
    names = (
        await db.scalars(
            select(Campaign.segment_name)
            .where(Campaign.segment_name.is_not(None))
            .distinct()
            .order_by(Campaign.segment_name)
        )
    ).all()
    return Filters(creditors=sorted(await creditors(crm)), segments=[n for n in names if n])


def _median(values: Sequence[float]) -> Decimal | None:
    return Decimal(str(round(statistics.median(values), 1))) if values else None


def _rate(n: int, of: int) -> Decimal | None:
    return (Decimal(n) / Decimal(of)).quantize(Decimal("0.0001")) if of else None


async def _conversations(db: AsyncSession, start: date, end: date, where: Scope) -> list[Conversation]:
    lo, hi = _bounds(start, end)
    convs = await db.scalars(
        select(Conversation)
        .where(Conversation.created_at >= lo, Conversation.created_at < hi, Conversation.debtor_cpf.is_not(None))
        .order_by(Conversation.created_at, Conversation.id)
    )
    return [c for c in convs if where.holds(c)]


async def recovered(db: AsyncSession, start: date, end: date, where: Scope) -> Decimal:
    """What debtors paid in the period (the CRM's payment notices, the part applied to the debt),
    whatever day their conversation was: a payment today may settle last month's agreement."""
    lo, hi = _bounds(start, end)
    rows = (
        await db.execute(
            select(PaymentNotice.session_id, PaymentNotice.payload).where(
                PaymentNotice.received_at >= lo, PaymentNotice.received_at < hi
            )
        )
    ).all()
    notices: list[tuple[str | None, dict[str, object]]] = [(sid, payload) for sid, payload in rows]
    if where.cpfs is not None or where.campaign_ids is not None:
        ids = {sid for sid, _ in notices if sid}
        convs = (await db.scalars(select(Conversation).where(Conversation.id.in_(ids)))).all() if ids else []
        kept = {c.id for c in convs if where.holds(c)}
        notices = [(sid, payload) for sid, payload in notices if sid in kept]
    return q(sum((Decimal(str(payload.get("applied_amount") or "0")) for _, payload in notices), Decimal("0")))


async def summary(db: AsyncSession, start: date, end: date, where: Scope | None = None) -> Summary:
    where = where or Scope()
    convs = await _conversations(db, start, end, where)
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
    replies: list[float] = []  # every debtor message to the bot's next one
    debtor_replies: list[float] = []  # the bot's first message to the debtor's first answer
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
            first_out = events[0][1] if events[0][0] == "out" else None
            if first_out is not None:
                debtor_replies.append((first_in - first_out).total_seconds())
            waiting: datetime | None = None
            for d, at in events:
                if d == "in" and waiting is None:
                    waiting = at
                elif d == "out" and waiting is not None:
                    replies.append((at - waiting).total_seconds())
                    waiting = None

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
    return Summary(
        start=start,
        end=end,
        creditor=where.creditor,
        segment=where.segment,
        amount_recovered=await recovered(db, start, end, where),
        median_reply_seconds=_median(replies),
        median_debtor_reply_seconds=_median(debtor_replies),
        contacted=len(contacted),
        answered=len(answered),
        identity_confirmed=len(confirmed),
        agreements=agreements,
        amount_negotiated=amount,
        handoffs=len(handed),
        opt_outs=len(opted),
        median_first_response_seconds=_median(firsts),
        funnel=funnel,
    )


def as_csv(s: Summary) -> str:
    """The numbers as a spreadsheet opens them in Brazil: semicolons, decimal comma."""

    def num(v: Decimal | int | None) -> str:
        return "" if v is None else str(v).replace(".", ",")

    rows = [
        ("Período", f"{s.start.strftime('%d/%m/%Y')} a {s.end.strftime('%d/%m/%Y')}"),
        ("Credor", _cell(s.creditor or "Todos")),
        ("Segmento", _cell(s.segment or "Todos")),
        ("Devedores contatados", num(s.contacted)),
        ("Responderam", num(s.answered)),
        ("Identidade confirmada", num(s.identity_confirmed)),
        ("Acordos", num(s.agreements)),
        ("Valor negociado (R$)", num(s.amount_negotiated)),
        ("Valor recuperado (R$)", num(s.amount_recovered)),
        ("Transferidas para atendente", num(s.handoffs)),
        ("Pediram para não receber", num(s.opt_outs)),
        ("Mediana da primeira resposta (s)", num(s.median_first_response_seconds)),
        ("Mediana de cada resposta da assistente (s)", num(s.median_reply_seconds)),
        ("Mediana da resposta do devedor (s)", num(s.median_debtor_reply_seconds)),
    ]
    rows += [(f"Conversão: {step.label}", num(step.rate)) for step in s.funnel[1:]]
    return "\r\n".join(f"{k};{v}" for k, v in [("Indicador", "Valor"), *rows]) + "\r\n"


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run: a leading =, +, - or @ is a formula to Excel."""
    text = text.replace(";", ",").replace("\r", " ").replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


STATUS_PT = {
    "active": "com a assistente",
    "handoff": "com atendente",
    "completed": "encerrada",
    "failed": "falhou",
    "abandoned": "sem resposta",
}
OUTCOME_PT = {
    "successful": "acordo fechado",
    "partially_successful": "promessa de pagamento",
    "unsuccessful": "sem acordo",
    "no_contact": "sem contato",
}


def _phone_tail(phone: str) -> str:
    """Only the DDD and the last two digits: enough to tell two rows apart, not to dial."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    local = digits[2:] if digits.startswith("55") and len(digits) >= 12 else digits
    return f"({local[:2]}) *****-**{local[-2:]}" if len(local) >= 10 else "***"


async def export_conversations(db: AsyncSession, start: date, end: date, where: Scope) -> tuple[str, int]:
    """The period's conversations as a spreadsheet, with no full CPF or phone; returns (CSV, rows)."""
    convs = await _conversations(db, start, end, where)
    names: dict[str, str | None] = {}
    campaigns: dict[str, str] = {}
    for chunk in (convs[i : i + 1000] for i in range(0, len(convs), 1000)):
        cards = await db.execute(
            select(InboxCard.conversation_id, InboxCard.debtor_name).where(
                InboxCard.conversation_id.in_([c.id for c in chunk])
            )
        )
        names.update({cid: name for cid, name in cards.all()})
        ids = {c.campaign_id for c in chunk if c.campaign_id}
        if ids:
            rows = await db.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(ids)))
            campaigns.update({cid: name for cid, name in rows.all()})
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(
        [
            "Conversa",
            "Início",
            "Origem",
            "Campanha",
            "Devedor",
            "CPF",
            "Telefone",
            "Situação",
            "Resultado",
            "Valor do acordo (R$)",
        ]
    )
    for c in convs:
        name = names.get(c.id) or ""
        agreed = (c.outcome or {}).get("agreed_amount") if c.outcome_kind == "successful" else None
        w.writerow(
            [
                c.id,
                c.created_at.astimezone(SP).strftime("%d/%m/%Y %H:%M"),
                {"inbound": "o devedor escreveu", "campaign": "campanha"}.get(c.origin, "contato ativo"),
                _cell(campaigns.get(c.campaign_id or "", "")),
                _cell(name.split()[0] if name.strip() else ""),
                mask_cpf(c.debtor_cpf or ""),
                _phone_tail(c.phone),
                STATUS_PT.get(c.status, c.status),
                OUTCOME_PT.get(c.outcome_kind or "", "em andamento"),
                str(q(str(agreed))).replace(".", ",") if agreed else "",
            ]
        )
    return out.getvalue(), len(convs)
