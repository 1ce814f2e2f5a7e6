"""The funnel operators watch: contacted → replied → validated → agreed → boleto sent."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.negotiation.models import Conversation, Outbox


class Funnel(BaseModel):
    contacted: int
    replied: int
    validated: int
    agreed: int
    boleto_sent: int
    by_status: dict[str, int]
    by_outcome: dict[str, int]


async def _count(db: AsyncSession, *where: ColumnElement[bool]) -> int:
    return await db.scalar(select(func.count()).select_from(Conversation).where(*where)) or 0


async def funnel(db: AsyncSession) -> Funnel:
    contacted = await _count(db)
    replied = await _count(db, Conversation.last_inbound_at.is_not(None))
    validated = await _count(
        db,
        Conversation.phase.in_(("negotiation", "agreement"))
        | Conversation.outcome_kind.in_(("successful", "partially_successful", "unsuccessful")),
    )
    agreed = await _count(db, Conversation.outcome_kind == "successful")
    # The CRM issues and sends the boletos once it holds the outcome: a delivered outcome row.
    sent = (
        await db.scalar(
            select(func.count())
            .select_from(Outbox)
            .join(Conversation, Conversation.id == Outbox.conversation_id)
            .where(Outbox.kind == "crm_outcome", Outbox.status == "done", Conversation.outcome_kind == "successful")
        )
        or 0
    )
    status_rows = await db.execute(select(Conversation.status, func.count()).group_by(Conversation.status))
    outcome_rows = await db.execute(
        select(Conversation.outcome_kind, func.count())
        .where(Conversation.outcome_kind.is_not(None))
        .group_by(Conversation.outcome_kind)
    )
    return Funnel(
        contacted=contacted,
        replied=replied,
        validated=validated,
        agreed=agreed,
        boleto_sent=sent,
        by_status={k: v for k, v in status_rows.all()},
        by_outcome={str(k): v for k, v in outcome_rows.all()},
    )
