"""Campaigns: many debtors contacted at a bounded pace, inside contact hours, resumable.

Everything lives in Postgres: the campaign row carries the pace (`next_send_at`, taken under a row
lock so that several processes share one pace) and each debtor is an item claimed with
FOR UPDATE SKIP LOCKED. A restart resumes where the rows say it stopped; nothing is held in memory.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.campaigns import segments
from certobot.campaigns.models import Campaign, CampaignItem, CampaignRun
from certobot.campaigns.schedule import next_run
from certobot.campaigns.schemas import (
    CampaignCreate,
    CampaignView,
    Progress,
    Recurrence,
    RunView,
    SampleDebtor,
    Segment,
    SegmentPreview,
)
from certobot.config import BotSettings
from certobot.conversations.contact_policy import within_contact_hours
from certobot.conversations.service import ConversationService
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.crm.schemas import DebtorInfo
from certobot.negotiation.models import Conversation
from certobot.sealed import SEAL
from certobot.whatsapp.models import Message
from certokit.cpf import mask_cpf
from certokit.db import dialect_of
from certokit.errors import Conflict, DomainError, Invalid, NotFound

BATCH = 500
MAX_SEGMENT = 20_000  # as many as one uploaded file may carry
LOOKUPS_AT_ONCE = 8
VALIDATED_OUTCOMES = ("successful", "partially_successful", "unsuccessful")


class CampaignNotFound(NotFound):
    detail = "Campanha não encontrada."


class CampaignStateConflict(Conflict):
    detail = "A campanha não está num estado que permita isso."


class NeverInContactHours(Invalid):
    detail = "Esse horário nunca cai dentro do horário de contato: escolha outra hora ou outros dias."


class EmptySegment(Conflict):
    detail = "Ninguém desse segmento pode ser contatado agora: nada a enviar."


# What each action accepts and leads to; "loading" comes back on resume while a CRM filter is half read.
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "pause": (("loading", "running", "waiting"), "paused"),
    "resume": (("paused",), "running"),
    "cancel": (("loading", "running", "paused", "waiting"), "cancelled"),
}
STATUS_LABELS = {
    "waiting": "aguardando a próxima execução",
    "loading": "carregando",
    "running": "em andamento",
    "paused": "pausada",
    "done": "concluída",
    "cancelled": "cancelada",
}


def for_update(stmt: Select[Any], db: AsyncSession) -> Select[Any]:
    return stmt.with_for_update(skip_locked=True) if dialect_of(db) == "postgresql" else stmt


async def create(
    db: AsyncSession,
    data: CampaignCreate,
    now: datetime,
    *,
    upload: str | None = None,
    first_run: datetime | None = None,
) -> Campaign:
    """`upload` names the validated file the CPFs came from; `start_at` in the past means now.
    A recurring campaign starts with no items, waiting for `first_run`."""
    source: dict[str, Any]
    if data.recurrence is not None:
        source = {"portfolio": True}
    elif data.filter:
        source = {"filter": data.filter.model_dump(mode="json"), "next_page": 1}
    else:
        source = {"cpfs": len(data.cpfs or [])}
        if upload is not None:
            source["upload"] = upload
    campaign = Campaign(
        id=str(uuid.uuid4()),
        name=data.name,
        per_minute=data.per_minute,
        source=source,
        status="waiting" if data.recurrence else "loading" if data.filter else "running",
        total=len(data.cpfs or []),
        # The runner takes only campaigns whose next_send_at has come: that is the schedule.
        next_send_at=first_run or (max(now, data.start_at) if data.start_at else now),
        created_at=now,
        segment=data.segment.model_dump(mode="json") if data.segment else None,
        segment_name=data.segment.name if data.segment else None,
        recurrence=data.recurrence.model_dump(mode="json") if data.recurrence else None,
        next_run_at=first_run,
    )
    campaign.source = {**source, "start_at": campaign.next_send_at.isoformat()}
    db.add(campaign)
    await db.flush()
    cpfs = list(dict.fromkeys(data.cpfs or []))
    campaign.total = len(cpfs)
    for start in range(0, len(cpfs), BATCH):
        await db.execute(
            insert(CampaignItem), [{"campaign_id": campaign.id, "cpf": c} for c in cpfs[start : start + BATCH]]
        )
    return campaign


async def load_page(db: AsyncSession, campaign: Campaign, crm: CrmClient) -> None:
    """Bring one page of a CRM filter into items; the page cursor is saved, so a restart continues."""
    f = dict(campaign.source["filter"])
    page = int(campaign.source.get("next_page", 1))
    filters = {k: v for k, v in f.items() if v is not None}
    for k in ("min_amount", "max_amount"):
        if k in filters:
            filters[k] = str(filters[k])
    debtors, total = await crm.list_debtors(page, BATCH, **filters)
    if debtors:
        await db.execute(insert(CampaignItem), [{"campaign_id": campaign.id, "cpf": d.cpf} for d in debtors])
        campaign.total += len(debtors)
    if not debtors or page * BATCH >= total:
        campaign.status = "running"
        campaign.source = {**campaign.source, "next_page": None}
    else:
        campaign.source = {**campaign.source, "next_page": page + 1}


async def step(
    db: AsyncSession, conversations: ConversationService, settings: BotSettings, now: datetime, *, batch: int = 50
) -> list[str]:
    """Open the conversations due now across campaigns; returns their session ids."""
    if not within_contact_hours(now, settings):
        return []  # paused: the window opens again by itself
    campaigns = (
        await db.scalars(
            for_update(select(Campaign).where(Campaign.status == "running", Campaign.next_send_at <= now).limit(10), db)
        )
    ).all()
    opened: list[str] = []
    for campaign in campaigns:
        interval = timedelta(seconds=60 / campaign.per_minute)
        # After a pause (night, a restart), no burst to "catch up": at most one second of backlog.
        campaign.next_send_at = max(campaign.next_send_at, now - timedelta(seconds=1))
        items = (
            await db.scalars(
                for_update(
                    select(CampaignItem)
                    .where(CampaignItem.campaign_id == campaign.id, CampaignItem.status == "queued")
                    .order_by(CampaignItem.id)
                    .limit(batch),
                    db,
                )
            )
        ).all()
        if not items:
            if campaign.recurrence is not None:
                campaign.status = "waiting"  # until its next run fills the queue again
            else:
                campaign.status, campaign.finished_at = "done", now
            continue
        for item in items:
            if campaign.next_send_at > now:
                break  # this campaign's pace: the rest waits for a later step
            try:
                async with db.begin_nested():
                    item.session_id = await conversations.start(
                        item.cpf, now=now, origin="campaign", campaign_id=campaign.id
                    )
                item.status = "sent"
                opened.append(item.session_id)
            except CrmUnavailable:
                return opened  # nothing consumed: the item is tried again
            except DomainError as exc:
                item.status, item.reason = ("refused" if exc.status_code < 500 else "failed"), exc.detail
            campaign.next_send_at += interval
    return opened


async def change_status(
    db: AsyncSession, campaign_id: str, action: str, now: datetime, settings: BotSettings
) -> Campaign:
    campaign = await db.get(Campaign, campaign_id, with_for_update=dialect_of(db) == "postgresql")
    if campaign is None:
        raise CampaignNotFound()
    allowed, target = ACTIONS[action]
    if campaign.status not in allowed:
        label = STATUS_LABELS.get(campaign.status, campaign.status)
        raise CampaignStateConflict(f"A campanha está {label}: não dá para {VERBS[action]}.")
    if action == "resume" and campaign.source.get("next_page"):
        target = "loading"
    if action == "resume" and campaign.recurrence is not None:
        queued = await db.scalar(
            select(func.count())
            .select_from(CampaignItem)
            .where(CampaignItem.campaign_id == campaign.id, CampaignItem.status == "queued")
        )
        target = "running" if queued else "waiting"
        if campaign.next_run_at is not None and campaign.next_run_at <= now:
            # Runs missed while paused are not made up in a burst: the next one is the next in the rule.
            campaign.next_run_at = next_run(Recurrence.model_validate(campaign.recurrence), now, settings)
    campaign.status = target
    if target == "cancelled":
        campaign.finished_at = now
        campaign.next_run_at = None
    return campaign


VERBS = {"pause": "pausar", "resume": "retomar", "cancel": "cancelar"}


async def list_views(
    db: AsyncSession, settings: BotSettings, now: datetime, *, limit: int, offset: int
) -> tuple[list[CampaignView], int]:
    total = await db.scalar(select(func.count()).select_from(Campaign)) or 0
    ids = (
        await db.scalars(
            select(Campaign.id).order_by(Campaign.created_at.desc(), Campaign.id).limit(limit).offset(offset)
        )
    ).all()
    return [await view(db, campaign_id, settings, now) for campaign_id in ids], total


async def view(db: AsyncSession, campaign_id: str, settings: BotSettings, now: datetime) -> CampaignView:
    campaign = await db.get(Campaign, campaign_id, populate_existing=True)
    if campaign is None:
        raise CampaignNotFound()
    counts = dict(
        (
            await db.execute(
                select(CampaignItem.status, func.count())
                .where(CampaignItem.campaign_id == campaign_id)
                .group_by(CampaignItem.status)
            )
        ).all()
    )
    conv = select(Conversation).where(Conversation.campaign_id == campaign_id).subquery()
    replied = await db.scalar(select(func.count()).select_from(conv).where(conv.c.last_inbound_at.is_not(None)))
    validated = await db.scalar(
        select(func.count())
        .select_from(conv)
        .where(conv.c.phase.in_(("negotiation", "agreement")) | conv.c.outcome_kind.in_(VALIDATED_OUTCOMES))
    )
    agreed = await db.scalar(select(func.count()).select_from(conv).where(conv.c.outcome_kind == "successful"))
    delivered = await db.scalar(
        select(func.count(func.distinct(Message.conversation_id))).where(
            Message.conversation_id.in_(select(conv.c.id)),
            Message.direction == "out",
            Message.status.in_(("delivered", "read")),
        )
    )
    start_at = datetime.fromisoformat(campaign.source["start_at"]) if "start_at" in campaign.source else None
    start_at = start_at or campaign.created_at
    paused = None
    if campaign.status in ("running", "loading") and start_at > now:
        paused = "Agendada: começa no horário marcado."
    elif campaign.status == "running" and not within_contact_hours(now, settings):
        paused = "Fora do horário de contato: retoma sozinha quando a janela abrir."
    elif campaign.status == "paused":
        paused = "Pausada por um supervisor."
    elif campaign.status == "waiting" and campaign.next_run_at is not None:
        paused = "Aguardando a próxima execução."
    return CampaignView(
        id=campaign.id,
        name=campaign.name,
        status=campaign.status,
        per_minute=campaign.per_minute,
        total=campaign.total,
        progress=Progress(
            queued=counts.get("queued", 0),
            sent=counts.get("sent", 0),
            refused=counts.get("refused", 0),
            failed=counts.get("failed", 0),
            delivered=delivered or 0,
            replied=replied or 0,
            validated=validated or 0,
            agreed=agreed or 0,
        ),
        paused_reason=paused,
        start_at=start_at,
        created_at=campaign.created_at,
        finished_at=campaign.finished_at,
        segment=Segment.model_validate(campaign.segment) if campaign.segment else None,
        recurrence=Recurrence.model_validate(campaign.recurrence) if campaign.recurrence else None,
        next_run_at=campaign.next_run_at,
        runs=await run_views(db, campaign.id) if campaign.recurrence else [],
    )


async def run_views(db: AsyncSession, campaign_id: str, limit: int = 10) -> list[RunView]:
    runs = (
        await db.scalars(
            select(CampaignRun)
            .where(CampaignRun.campaign_id == campaign_id)
            .order_by(CampaignRun.started_at.desc(), CampaignRun.id.desc())
            .limit(limit)
        )
    ).all()
    counts: dict[tuple[int, str], int] = {}
    if runs:
        rows = await db.execute(
            select(CampaignItem.run_id, CampaignItem.status, func.count())
            .where(CampaignItem.run_id.in_([r.id for r in runs]))
            .group_by(CampaignItem.run_id, CampaignItem.status)
        )
        counts = {(run_id, st): n for run_id, st, n in rows.all() if run_id is not None}
    views = []
    for r in runs:
        status = r.status
        if status == "sending" and not counts.get((r.id, "queued")):
            status = "done"
        views.append(
            RunView(
                id=r.id,
                started_at=r.started_at,
                status=status,
                matched=r.matched,
                queued=r.queued,
                skipped=dict(r.skipped or {}),
                sent=counts.get((r.id, "sent"), 0),
                refused=counts.get((r.id, "refused"), 0),
                failed=counts.get((r.id, "failed"), 0),
                error=r.error,
            )
        )
    return views


# --- segments ------------------------------------------------------------------------------------


async def portfolio(crm: CrmClient, seg: Segment) -> list[DebtorInfo]:
    """The CRM's debtors that its own filters let through; the rest of the segment is read here."""
    filters: dict[str, Any] = {}
    if seg.min_days_past_due is not None:
        filters["min_days_past_due"] = seg.min_days_past_due
    if seg.max_days_past_due is not None:
        filters["max_days_past_due"] = seg.max_days_past_due
    if seg.min_amount_cents is not None:
        filters["min_amount"] = f"{seg.min_amount_cents // 100}.{seg.min_amount_cents % 100:02d}"
    if seg.max_amount_cents is not None:
        filters["max_amount"] = f"{seg.max_amount_cents // 100}.{seg.max_amount_cents % 100:02d}"
    out: list[DebtorInfo] = []
    page = 1
    while len(out) < MAX_SEGMENT:
        debtors, total = await crm.list_debtors(page, BATCH, **filters)
        out.extend(debtors)
        if not debtors or page * BATCH >= total:
            break
        page += 1
    return out[:MAX_SEGMENT]


async def debtors_of(crm: CrmClient, cpfs: list[str]) -> list[DebtorInfo]:
    gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

    async def look(cpf: str) -> DebtorInfo | None:
        async with gate:
            return await crm.get_debtor(cpf)

    found = await asyncio.gather(*(look(c) for c in dict.fromkeys(cpfs)))
    return [d for d in found if d is not None]


async def recently_contacted(db: AsyncSession, cpfs: list[str], since: datetime) -> set[str]:
    """CPFs the bot opened a conversation with since `since` (the CRM may not know it yet)."""
    # The CPF is sealed (a fresh nonce each time): the comparison goes through its keyed hash.
    by_hash = {SEAL.cpf_hash(c): c for c in cpfs}
    hashes = list(by_hash)
    out: set[str] = set()
    for start in range(0, len(hashes), 1000):
        rows = await db.scalars(
            select(Conversation.debtor_cpf_hash).where(
                Conversation.debtor_cpf_hash.in_(hashes[start : start + 1000]), Conversation.created_at >= since
            )
        )
        out.update(by_hash[h] for h in rows if h in by_hash)
    return out


async def evaluate(
    db: AsyncSession,
    debtors: list[DebtorInfo],
    seg: Segment,
    now: datetime,
    recent_hours: int,
    *,
    exclude: set[str] | None = None,
) -> segments.Selection:
    """The segment's debtors who may be contacted now; `exclude` are already waiting in the queue."""
    sel = segments.select(debtors, seg, now, recent_hours)
    recent = await recently_contacted(db, [d.cpf for d in sel.chosen], now - timedelta(hours=recent_hours))
    kept: list[DebtorInfo] = []
    for d in sel.chosen:
        if exclude and d.cpf in exclude:
            sel.skip("already_queued")
        elif recent_hours and d.cpf in recent:
            sel.skip("recent_contact")
        else:
            kept.append(d)
    sel.chosen = kept
    return sel


def preview(sel: segments.Selection, sample_size: int = 10) -> SegmentPreview:
    return SegmentPreview(
        count=len(sel.chosen),
        matched=len(sel.chosen) + sum(sel.skipped.values()),
        skipped=sel.skipped,
        skipped_labels={k: segments.SKIP_LABELS[k] for k in sel.skipped},
        sample=[
            SampleDebtor(
                name=d.name.split()[0] if d.name.strip() else "",
                cpf=mask_cpf(d.cpf),
                uf=segments.uf_of(d.phone),
                days_past_due=d.days_past_due,
                amount_cents=int(d.debt_amount * 100),
                creditor=d.original_creditor,
            )
            for d in sel.chosen[:sample_size]
        ],
    )


def first_run(rule: Recurrence, now: datetime, start_at: datetime | None, settings: BotSettings) -> datetime:
    at = next_run(rule, max(now, start_at) if start_at else now, settings, inclusive=True)
    if at is None:
        raise NeverInContactHours(
            f"Esse horário nunca cai dentro do horário de contato ({settings.contact_hours}, horário de Brasília): "
            "escolha outra hora ou outros dias."
        )
    return at


# --- recurring runs ------------------------------------------------------------------------------


async def claim_due_runs(db: AsyncSession, settings: BotSettings, now: datetime) -> list[tuple[int, str]]:
    """The due-runs query: recurring campaigns whose next run has come get a run row, and their
    next run moves to the next occurrence, in the same short transaction (so a run is claimed once
    whatever wakes the runner). Returns (run id, campaign id) to evaluate outside the transaction."""
    due = (
        await db.scalars(
            for_update(
                select(Campaign)
                .where(
                    Campaign.next_run_at.is_not(None),
                    Campaign.next_run_at <= now,
                    Campaign.status.in_(("waiting", "running")),
                )
                .order_by(Campaign.next_run_at)
                .limit(10),
                db,
            )
        )
    ).all()
    claimed: list[tuple[int, str]] = []
    for campaign in due:
        assert campaign.next_run_at is not None
        assert campaign.recurrence is not None
        run = CampaignRun(campaign_id=campaign.id, due_at=campaign.next_run_at, started_at=now, skipped={})
        db.add(run)
        campaign.next_run_at = next_run(Recurrence.model_validate(campaign.recurrence), now, settings)
        await db.flush()
        claimed.append((run.id, campaign.id))
    return claimed


async def next_run_due(db: AsyncSession) -> datetime | None:
    """When the earliest recurring run comes due: what a runner woken by events (not polling) must
    also wake up for."""
    return await db.scalar(select(func.min(Campaign.next_run_at)).where(Campaign.status.in_(("waiting", "running"))))


async def run_inputs(db: AsyncSession, campaign_id: str, settings: BotSettings) -> tuple[Segment, int, set[str]]:
    """What a run needs to evaluate: the segment, how recent a contact skips, who is still queued."""
    campaign = await db.get(Campaign, campaign_id)
    assert campaign is not None
    assert campaign.segment is not None
    assert campaign.recurrence is not None
    queued = await db.scalars(
        select(CampaignItem.cpf).where(CampaignItem.campaign_id == campaign_id, CampaignItem.status == "queued")
    )
    rule = Recurrence.model_validate(campaign.recurrence)
    hours = settings.min_contact_interval_hours if rule.skip_contacted_hours is None else rule.skip_contacted_hours
    return Segment.model_validate(campaign.segment), hours, set(queued)


async def fill_run(db: AsyncSession, run_id: int, sel: segments.Selection | None, error: str | None) -> None:
    """Queue the run's debtors (or record why it could not be evaluated)."""
    run = await db.get(CampaignRun, run_id)
    campaign = await db.get(Campaign, run.campaign_id, with_for_update=dialect_of(db) == "postgresql") if run else None
    if run is None or campaign is None:
        return
    if sel is None:
        run.status, run.error = "failed", error
        return
    run.matched = len(sel.chosen) + sum(sel.skipped.values())
    run.skipped = sel.skipped
    if campaign.status not in ("waiting", "running"):
        # Paused or cancelled while the segment was read: nothing is queued behind the supervisor's back.
        run.status, run.error = "failed", f"Campanha {STATUS_LABELS.get(campaign.status, campaign.status)}."
        return
    cpfs = [d.cpf for d in sel.chosen]
    for start in range(0, len(cpfs), BATCH):
        await db.execute(
            insert(CampaignItem),
            [{"campaign_id": campaign.id, "cpf": c, "run_id": run.id} for c in cpfs[start : start + BATCH]],
        )
    run.queued = len(cpfs)
    run.status = "sending" if cpfs else "done"
    campaign.total += len(cpfs)
    if cpfs:
        campaign.status = "running"
        campaign.next_send_at = max(campaign.next_send_at, run.started_at)
