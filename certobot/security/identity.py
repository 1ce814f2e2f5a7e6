"""Identity that cannot be guessed: wrong CPF answers add up across conversations and phones.

The challenge asks for 3 digits of the CPF, 1,000 combinations. A limit kept inside one conversation
resets whenever a new one opens ("PARAR", the timeout, another phone), so the count lives here, in
Postgres, per debtor and per phone. Reaching the limit closes self-service for that debtor and that
phone for a while; a person can still help.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.metrics import IDENTITY_LOCKS
from certobot.security.models import IdentityFailure, IdentityLock
from certokit.logging import get_logger

log = get_logger("certobot.security")


@dataclass(frozen=True)
class LockPolicy:
    max_failures: int
    lock_for: timedelta


async def locked_until(db: AsyncSession, *, cpf: str | None, phone_key: str, now: datetime) -> datetime | None:
    """When self-service opens again for this debtor or this phone; None if it is open now."""
    subjects = [("phone", phone_key)] + ([("cpf", cpf)] if cpf else [])
    until: datetime | None = None
    for kind, subject in subjects:
        lock = await _lock(db, kind, subject)
        if lock is not None and lock.locked_until > now and (until is None or lock.locked_until > until):
            until = lock.locked_until
    return until


async def record_failure(
    db: AsyncSession, *, cpf: str, phone_key: str, conversation_id: str, now: datetime, policy: LockPolicy
) -> datetime | None:
    """Count one wrong answer; returns the end of the lock when this one reached the limit."""
    db.add(IdentityFailure(debtor_cpf=cpf, phone_key=phone_key, conversation_id=conversation_id, created_at=now))
    await db.flush()
    until: datetime | None = None
    for kind, subject, column in (
        ("cpf", cpf, IdentityFailure.debtor_cpf),
        ("phone", phone_key, IdentityFailure.phone_key),
    ):
        lock = await _lock(db, kind, subject)
        # Failures before the last lock ended were already paid for by that lock.
        since = now - policy.lock_for
        if lock is not None and lock.locked_until > since:
            since = lock.locked_until
        count = await db.scalar(
            select(func.count())
            .select_from(IdentityFailure)
            .where(column == subject, IdentityFailure.created_at > since)
        )
        if (count or 0) < policy.max_failures:
            continue
        until = now + policy.lock_for
        if lock is None:
            db.add(IdentityLock(subject_kind=kind, subject=subject, locked_until=until, created_at=now))
        else:
            lock.locked_until = until
        IDENTITY_LOCKS.labels(kind).inc()
        log.warning("identity_locked", subject_kind=kind, conversation_id=conversation_id, until=until.isoformat())
    await db.flush()
    return until


async def _lock(db: AsyncSession, kind: str, subject: str) -> IdentityLock | None:
    return await db.scalar(
        select(IdentityLock).where(IdentityLock.subject_kind == kind, IdentityLock.subject == subject).with_for_update()
    )
