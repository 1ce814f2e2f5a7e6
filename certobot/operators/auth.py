"""Who is calling the operator API: a person's token or the machine clients' service key."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from functools import cache

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.config import BotSettings
from certobot.operators import tokens
from certobot.operators.roles import SERVICE, Principal, Role
from certobot.operators.service import principal_for
from certokit.errors import DomainError, Unauthorized


class RoleRequired(DomainError):
    status_code = 403
    detail = "Seu papel não permite esta ação."


@cache
def _process_secret() -> bytes:
    # Only when neither OPERATOR_TOKEN_SECRET nor CERTOBOT_API_KEY is set (development): tokens then
    # last as long as this process.
    return secrets.token_bytes(32)


def token_secret(settings: BotSettings) -> bytes:
    explicit = settings.operator_token_secret.get_secret_value() if settings.operator_token_secret else None
    key = settings.certobot_api_key.get_secret_value() if settings.certobot_api_key else None
    return tokens.derive_secret(explicit, key, _process_secret())


async def identify(db: AsyncSession, settings: BotSettings, authorization: str | None, now: datetime) -> Principal:
    """Raises Unauthorized for anything but a valid token of an active user or the service key."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    if token.startswith(tokens.PREFIX):
        claims = tokens.verify(token_secret(settings), token, now=now)
        if claims is None:
            raise Unauthorized("Sessão expirada ou inválida: entre novamente.")
        return await principal_for(db, claims)
    expected: SecretStr | None = settings.certobot_api_key
    if expected is None:
        raise Unauthorized("API de operadores desativada: defina CERTOBOT_API_KEY ou entre com um usuário.")
    if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise Unauthorized("Chave de acesso inválida.")
    return SERVICE


def check_role(principal: Principal, needed: Role) -> None:
    if not principal.allows(needed):
        raise RoleRequired(f"Seu papel ({principal.role}) não permite esta ação: é preciso {needed}.")
