"""Queueing a WhatsApp message in the caller's transaction; the sender delivers it after the commit.

The outbox row names its transcript line in a column, so that Meta's status webhook, which echoes
the row in `biz_opaque_callback_data`, can mark the line sent when the sender died before doing so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from certobot import outbox
from certobot.whatsapp.models import Message
from certokit import wakeup


async def queue_message(
    session: AsyncSession,
    *,
    conversation_id: str | None,
    to: str,
    message: dict[str, Any],
    transcript: str,
    key: str,
    author: str = "bot",
    wake: bool = False,
) -> Message | None:
    """A `messages` row (masked transcript) and its outbox row; None if `key` was queued before.

    `wake`: nobody sends it right after the commit (a reminder, a receipt), so the sweeper is
    NOTIFYed to (the turn and the operator's actions send their own rows themselves)."""
    row = Message(
        conversation_id=conversation_id,
        direction="out",
        author=author,
        phone="+" + to.lstrip("+"),
        kind=str(message.get("type", "text")),
        body=transcript,
        status="queued",
    )
    session.add(row)
    await session.flush()
    fresh = await outbox.put(
        session,
        kind="whatsapp",
        key=key,
        conversation_id=conversation_id,
        payload={"message_id": row.id, "to": to.lstrip("+"), "message": message},
        message_id=row.id,  # a status webhook finds the line by it (certobot.whatsapp.statuses)
    )
    if not fresh:
        await session.delete(row)
        return None
    if wake:
        await wakeup.notify(session, wakeup.SWEEP)
    return row
