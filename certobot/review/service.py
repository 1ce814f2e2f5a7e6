"""What the bot did not understand: the queue the supervisors label, and its export as training data.

A turn tags its inbound message (`messages.understood`, `messages.review`) in the same write that
stores it (see `flow.review_tag`): "fallback" when the bot fell to "não entendi", "handoff" when it
handed the conversation to a person. A supervisor names the intent it should have been; the
labelled messages, exported as JSON lines, are what `classifier.py` trains on next release
(`certobot/negotiation/data/labelled/`), so the team's corrections make the bot better.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.negotiation.nlu import Intent
from certobot.review.models import ReviewLabel
from certobot.review.schemas import ContextLine, CorpusRow, ReviewItem, ReviewPage, ReviewStatus
from certobot.whatsapp.models import Message
from certokit.db import dialect_of
from certokit.errors import Invalid, NotFound
from certokit.logging import scrub

IGNORE = "ignorar"
# What a label may say: an intent the engine acts on. "unknown" is what the bot already said, and
# "media" is not about words.
INTENTS: tuple[str, ...] = tuple(i.value for i in Intent if i not in (Intent.unknown, Intent.media))
BEFORE, AFTER = 4, 2  # messages of context around the one to label
REASONS = {"fallback": "Não entendeu", "handoff": "Passou para atendente"}


class MessageNotInQueue(NotFound):
    detail = "Mensagem não encontrada na fila de não entendidas."


class UnknownLabel(Invalid):
    detail = "Rótulo desconhecido: escolha uma intenção da lista ou 'ignorar'."


async def queue(db: AsyncSession, *, status: ReviewStatus, page: int, page_size: int) -> ReviewPage:
    base = (
        select(Message, ReviewLabel)
        .outerjoin(ReviewLabel, ReviewLabel.message_id == Message.id)
        .where(Message.review.is_not(None))
    )
    if status == "pending":
        base = base.where(ReviewLabel.message_id.is_(None))
    elif status == "labelled":
        base = base.where(ReviewLabel.message_id.is_not(None))
    total = await db.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = (await db.execute(base.order_by(Message.id.desc()).offset((page - 1) * page_size).limit(page_size))).all()
    around = await _around(db, [msg for msg, _ in rows])
    items = [_item(msg, label, around) for msg, label in rows]
    return ReviewPage(items=items, total=total, page=page, page_size=page_size, intents=list(INTENTS))


async def _around(db: AsyncSession, targets: list[Message]) -> list[Message]:
    """The messages just before and after each target, for a whole page in one statement."""
    if not targets:
        return []
    parts = []
    for msg in targets:
        same = Message.conversation_id == msg.conversation_id
        parts.append(select(Message.id).where(same, Message.id < msg.id).order_by(Message.id.desc()).limit(BEFORE))
        parts.append(select(Message.id).where(same, Message.id > msg.id).order_by(Message.id).limit(AFTER))
    ids = union_all(*(part.subquery().select() for part in parts)).subquery()
    return list(await db.scalars(select(Message).where(Message.id.in_(select(ids.c.id))).order_by(Message.id)))


def _item(msg: Message, label: ReviewLabel | None, around: list[Message]) -> ReviewItem:
    mine = [m for m in around if m.conversation_id == msg.conversation_id]
    before = [m for m in mine if m.id < msg.id][-BEFORE:]
    lines = [*before, msg, *[m for m in mine if m.id > msg.id][:AFTER]]
    reason = msg.review if msg.review in REASONS else "fallback"
    return ReviewItem(
        id=msg.id,
        session_id=msg.conversation_id or "",
        text=scrub(msg.body),
        at=msg.created_at,
        reason=reason,
        reason_label=REASONS[reason],
        understood=msg.understood,
        label=label.label if label else None,
        labelled_by=label.labelled_by if label else None,
        labelled_at=label.labelled_at if label else None,
        context=[
            ContextLine(
                id=m.id,
                direction=m.direction,
                author=m.author,
                text=scrub(m.body),
                at=m.created_at,
                target=m.id == msg.id,
            )
            for m in lines
        ],
    )


async def label(db: AsyncSession, message_id: int, value: str, actor: str, now: datetime) -> ReviewItem:
    value = value.strip().lower()
    if value != IGNORE and value not in INTENTS:
        raise UnknownLabel()
    msg = await db.get(Message, message_id)
    if msg is None or msg.review is None:
        raise MessageNotInQueue()
    insert = pg_insert if dialect_of(db) == "postgresql" else sqlite_insert
    stmt = insert(ReviewLabel).values(message_id=message_id, label=value, labelled_by=actor, labelled_at=now)
    changes = {"label": value, "labelled_by": actor, "labelled_at": now}
    await db.execute(stmt.on_conflict_do_update(index_elements=[ReviewLabel.message_id], set_=changes))
    row = await db.scalar(
        select(ReviewLabel).where(ReviewLabel.message_id == message_id).execution_options(populate_existing=True)
    )
    return _item(msg, row, await _around(db, [msg]))


async def export(db: AsyncSession) -> list[CorpusRow]:
    """Every labelled message but the ignored, oldest first, one per distinct text."""
    rows = await db.execute(
        select(Message.body, ReviewLabel.label)
        .join(ReviewLabel, ReviewLabel.message_id == Message.id)
        .where(ReviewLabel.label != IGNORE)
        .order_by(Message.id)
    )
    out: dict[str, CorpusRow] = {}
    for body, intent in rows:
        text = scrub(body).strip()
        if text:
            out[text.lower()] = CorpusRow(text=text, intent=intent)  # the latest label of a text wins
    return list(out.values())


def jsonl(rows: list[CorpusRow]) -> str:
    # As tests/data/corpus.jsonl writes it: `{"text": "...", "intent": "..."}`, accents as they are.
    return "".join(json.dumps(row.model_dump(), ensure_ascii=False) + "\n" for row in rows)
