"""Campaigns: many debtors contacted at a bounded pace, inside contact hours, resumable.

Everything lives in Postgres: the campaign row carries the pace (`next_send_at`, taken under a row
lock so that several processes share one pace) and each debtor is an item claimed with
FOR UPDATE SKIP LOCKED. A restart resumes where the rows say it stopped; nothing is held in memory.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.campaigns.models import Campaign, CampaignItem
from certobot.campaigns.schemas import CampaignCreate, CampaignView, Progress
from certobot.config import BotSettings
from certobot.conversations.contact_policy import within_contact_hours
from certobot.conversations.service import ConversationService
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.negotiation.models import Conversation
from certobot.whatsapp.models import Message
from certokit.db import dialect_of
from certokit.errors import Conflict, DomainError, NotFound

BATCH = 500
VALIDATED_OUTCOMES = ("successful", "partially_successful", "unsuccessful")


class CampaignNotFound(NotFound):
    detail = "Campanha não encontrada."


class CampaignStateConflict(Conflict):
    detail = "A campanha não está num estado que permita isso."


# What each action accepts and leads to; "loading" comes back on resume while a CRM filter is half read.
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "pause": (("loading", "running"), "paused"),
    "resume": (("paused",), "running"),
    "cancel": (("loading", "running", "paused"), "cancelled"),
}
STATUS_LABELS = {
    "loading": "carregando",
    "running": "em andamento",
    "paused": "pausada",
    "done": "concluída",
    "cancelled": "cancelada",
}


def for_update(stmt: Select[Any], db: AsyncSession) -> Select[Any]:
    return stmt.with_for_update(skip_locked=True) if dialect_of(db) == "postgresql" else stmt


async def create(db: AsyncSession, data: CampaignCreate, now: datetime, *, upload: str | None = None) -> Campaign:
    """`upload` names the validated file the CPFs came from; `start_at` in the past means now."""
    source: dict[str, Any]
    if data.filter:
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
        status="loading" if data.filter else "running",
        total=len(data.cpfs or []),
        # The runner takes only campaigns whose next_send_at has come: that is the schedule.
        next_send_at=max(now, data.start_at) if data.start_at else now,
        created_at=now,
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


async def change_status(db: AsyncSession, campaign_id: str, action: str, now: datetime) -> Campaign:
    campaign = await db.get(Campaign, campaign_id, with_for_update=dialect_of(db) == "postgresql")
    if campaign is None:
        raise CampaignNotFound()
    allowed, target = ACTIONS[action]
    if campaign.status not in allowed:
        label = STATUS_LABELS.get(campaign.status, campaign.status)
        raise CampaignStateConflict(f"A campanha está {label}: não dá para {VERBS[action]}.")
    if action == "resume" and campaign.source.get("next_page"):
        target = "loading"
    campaign.status = target
    if target == "cancelled":
        campaign.finished_at = now
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
    )
