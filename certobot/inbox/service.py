"""The inbox: conversations as a collection team reads them, searched by name, CPF or phone."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.crm.schemas import DebtorInfo
from certobot.inbox import labels
from certobot.inbox.models import InboxCard
from certobot.inbox.schemas import InboxPage, InboxQuery, InboxRow, NoteOut
from certobot.negotiation.models import Conversation
from certokit.cpf import mask_cpf, normalize_cpf
from certokit.db import dialect_of, transaction
from certokit.errors import NotFound
from certokit.money import from_cents, to_cents
from certokit.phones import phone_key

FILL_BATCH = 100


class ConversationNotFound(NotFound):
    detail = "Conversa não encontrada."


def _mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:]


async def fill_cards(sessionmaker: async_sessionmaker[AsyncSession], crm: CrmClient, now: datetime) -> int:
    """Copy name and amount from the CRM for conversations the inbox has not seen yet.

    Read, ask the CRM with no transaction open, then write: a slow CRM holds no connection.
    """
    async with sessionmaker() as db:
        rows = (
            await db.execute(
                select(Conversation.id, Conversation.debtor_cpf)
                .outerjoin(InboxCard, InboxCard.conversation_id == Conversation.id)
                .where(InboxCard.filled_at.is_(None), Conversation.debtor_cpf.is_not(None))
                .order_by(Conversation.created_at.desc())
                .limit(FILL_BATCH)
            )
        ).all()
    if not rows:
        return 0
    gate = asyncio.Semaphore(8)

    async def look(cpf: str) -> DebtorInfo | bool | None:
        async with gate:
            try:
                return await crm.get_debtor(cpf)
            except CrmUnavailable:
                return False  # no card yet: tried again on the next listing

    cpfs = sorted({cpf for _, cpf in rows if cpf})
    found = dict(zip(cpfs, await asyncio.gather(*(look(c) for c in cpfs)), strict=True))
    values: list[dict[str, object]] = []
    for conv_id, cpf in rows:
        d = found.get(cpf or "", False)
        if isinstance(d, DebtorInfo):
            values.append(
                {
                    "conversation_id": conv_id,
                    "debtor_name": d.name[:200],
                    "debt_cents": to_cents(d.debt_amount),
                    "filled_at": now,
                }
            )
        elif d is None:  # gone from the CRM (erased): an empty card, so it is not asked for at every refresh
            values.append({"conversation_id": conv_id, "debtor_name": None, "debt_cents": None, "filled_at": now})
    if values:
        async with transaction(sessionmaker) as db:
            insert = pg_insert if dialect_of(db) == "postgresql" else sqlite_insert
            stmt = insert(InboxCard).values(values)
            # A card may already hold a note written before the copy was taken: keep the note.
            await db.execute(
                stmt.on_conflict_do_update(
                    index_elements=[InboxCard.conversation_id],
                    set_={
                        "debtor_name": stmt.excluded.debtor_name,
                        "debt_cents": stmt.excluded.debt_cents,
                        "filled_at": stmt.excluded.filled_at,
                    },
                )
            )
    return len(values)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(db: AsyncSession, query: InboxQuery) -> InboxPage:
    stmt = select(Conversation, InboxCard).outerjoin(InboxCard, InboxCard.conversation_id == Conversation.id)
    if query.status is not None:
        stmt = stmt.where(Conversation.status == query.status)
    if query.outcome == "none":
        stmt = stmt.where(Conversation.outcome_kind.is_(None))
    elif query.outcome:
        stmt = stmt.where(Conversation.outcome_kind == query.outcome)
    q = query.q.strip()
    if q:
        cpf = normalize_cpf(q)
        key = phone_key(q) if any(ch.isdigit() for ch in q) else None
        if cpf is not None:
            stmt = stmt.where(Conversation.debtor_cpf_hash == cpf)
        elif key is not None:
            stmt = stmt.where(Conversation.phone_key == key)
        else:
            words = [w for w in q.split() if w]
            stmt = stmt.where(*[InboxCard.debtor_name.ilike(_like(w), escape="\\") for w in words])
    total = await db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = (
        await db.execute(
            # A person in crisis nobody of the team has answered comes first, whatever else is open.
            stmt.order_by(Conversation.attention.is_(None), Conversation.updated_at.desc(), Conversation.id)
            .offset((query.page - 1) * query.page_size)
            .limit(query.page_size)
        )
    ).all()
    return InboxPage(
        items=[row(conv, card) for conv, card in rows], total=total, page=query.page, page_size=query.page_size
    )


def row(conv: Conversation, card: InboxCard | None) -> InboxRow:
    return InboxRow(
        session_id=conv.id,
        debtor_name=card.debtor_name if card else None,
        cpf=mask_cpf(conv.debtor_cpf) if conv.debtor_cpf else None,
        phone=_mask_phone(conv.phone),
        amount=from_cents(card.debt_cents) if card and card.debt_cents is not None else None,
        status=conv.status,
        status_label=labels.STATUS.get(conv.status, conv.status),
        phase_label=labels.PHASE.get(conv.phase, conv.phase),
        outcome_kind=conv.outcome_kind,
        outcome_label=labels.outcome_label(conv.outcome_kind),
        attention=conv.attention,
        attention_label=labels.ATTENTION.get(conv.attention) if conv.attention else None,
        note=card.note if card else None,
        created_at=conv.created_at,
        updated_at=conv.updated_at,
    )


async def read_note(db: AsyncSession, session_id: str) -> NoteOut:
    if await db.get(Conversation, session_id) is None:
        raise ConversationNotFound()
    card = await db.get(InboxCard, session_id)
    return NoteOut(
        note=card.note if card else None, note_by=card.note_by if card else None, note_at=card.note_at if card else None
    )


async def save_note(db: AsyncSession, session_id: str, note: str, actor: str, now: datetime) -> NoteOut:
    if await db.get(Conversation, session_id) is None:
        raise ConversationNotFound()
    card = await db.get(InboxCard, session_id)
    if card is None:
        card = InboxCard(conversation_id=session_id)
        db.add(card)
    card.note = note.strip() or None
    card.note_by, card.note_at = actor[:80], now
    await db.flush()
    return NoteOut(note=card.note, note_by=card.note_by, note_at=card.note_at)


async def mark_cared(db: AsyncSession, session_id: str) -> InboxRow:
    """Someone of the team has cared for the person (a call, a message elsewhere): the flag comes off."""
    conv = await db.get(Conversation, session_id)
    if conv is None:
        raise ConversationNotFound()
    conv.attention = None
    await db.flush()
    return row(conv, await db.get(InboxCard, session_id))
