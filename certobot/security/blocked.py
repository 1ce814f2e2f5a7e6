""" "Número errado": a phone someone said is not the debtor's is never contacted about that debtor again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.security.models import BlockedPhone
from certokit.logging import get_logger

log = get_logger("certobot.security")


async def block_phone(
    db: AsyncSession, *, phone_key: str, cpf: str, reason: str, conversation_id: str | None, now: datetime
) -> None:
    if await is_blocked(db, phone_key=phone_key, cpf=cpf):
        return
    try:
        async with db.begin_nested():
            db.add(
                BlockedPhone(
                    phone_key=phone_key, debtor_cpf=cpf, reason=reason, conversation_id=conversation_id, created_at=now
                )
            )
            await db.flush()
    except IntegrityError:
        return  # another turn blocked it first
    log.info("phone_blocked", reason=reason, conversation_id=conversation_id)


async def is_blocked(db: AsyncSession, *, phone_key: str, cpf: str) -> bool:
    row = await db.scalar(
        select(BlockedPhone.id).where(BlockedPhone.phone_key == phone_key, BlockedPhone.debtor_cpf == cpf).limit(1)
    )
    return row is not None
