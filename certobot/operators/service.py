"""Accounts, logins and the audit log, as plain functions over a session."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.operators import tokens
from certobot.operators.models import AuditEntry, OperatorUser
from certobot.operators.roles import ROLES, Principal, Role
from certokit.errors import Conflict, Invalid, Unauthorized
from certokit.logging import get_logger

log = get_logger("certobot.operators")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the user does not exist costs the same time as a real check.
_DUMMY_HASH = _hasher.hash("certobot-nobody")
MIN_PASSWORD = 12


class UserExists(Conflict):
    detail = "Já existe um usuário com esse nome."


class BadLogin(Unauthorized):
    detail = "Usuário ou senha incorretos."


def validate_new(username: str, password: str, role: str) -> None:
    if not re.fullmatch(r"[a-z0-9._-]{3,60}", username):
        raise Invalid("Nome de usuário: 3 a 60 caracteres entre a-z, 0-9, ponto, hífen e sublinhado.")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"A senha precisa de pelo menos {MIN_PASSWORD} caracteres.")
    if role not in ROLES:
        raise Invalid("Papel inválido: use admin, supervisor ou operator.")


async def create_user(db: AsyncSession, *, username: str, password: str, role: str) -> OperatorUser:
    validate_new(username, password, role)
    hashed = await asyncio.to_thread(_hasher.hash, password)
    user = OperatorUser(username=username, password_hash=hashed, role=role, active=True)
    try:
        async with db.begin_nested():
            db.add(user)
            await db.flush()
    except IntegrityError:
        raise UserExists() from None
    return user


async def authenticate(db: AsyncSession, username: str, password: str) -> OperatorUser:
    user = await db.scalar(select(OperatorUser).where(OperatorUser.username == username))
    try:
        await asyncio.to_thread(_hasher.verify, user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise BadLogin() from None
    if user is None or not user.active:
        raise BadLogin()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(_hasher.hash, password)
    return user


def issue_token(user: OperatorUser, secret: bytes, *, now: datetime, minutes: int) -> str:
    return tokens.issue(secret, username=user.username, role=user.role, now=now, ttl=timedelta(minutes=minutes))


async def principal_for(db: AsyncSession, claims: dict[str, str]) -> Principal:
    """The account behind a token as it is now: deactivated or demoted users lose access at once."""
    user = await db.scalar(select(OperatorUser).where(OperatorUser.username == claims["sub"]))
    if user is None or not user.active or user.role not in ROLES:
        raise Unauthorized("Sessão inválida: entre novamente.")
    role: Role = user.role
    return Principal(actor=user.username, role=role, kind="user")


async def audit(
    db: AsyncSession, who: Principal, action: str, target: str | None = None, detail: dict[str, Any] | None = None
) -> None:
    db.add(AuditEntry(actor=who.actor, role=who.role, action=action, target=target, detail=detail))
    await db.flush()
