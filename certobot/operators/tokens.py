"""Short-lived signed tokens for people: `cbt1.<claims>.<HMAC-SHA256>`, no server-side session.

Stateless on purpose (any process checks any token with the secret); the price is that a token lives
until it expires, so the lifetime is short (OPERATOR_TOKEN_MINUTES) and a deactivated user's token
is refused at the next check of the account (`service.principal_for`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

PREFIX = "cbt1."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret: bytes, *, username: str, role: str, now: datetime, ttl: timedelta) -> str:
    claims = {"sub": username, "role": role, "exp": int((now + ttl).timestamp())}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{PREFIX}{payload}.{sig}"


def verify(secret: bytes, token: str, *, now: datetime) -> dict[str, str] | None:
    """The claims of a valid, unexpired token; None otherwise (whatever is wrong with it)."""
    if not token.startswith(PREFIX):
        return None
    payload, _, sig = token.removeprefix(PREFIX).partition(".")
    expected = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    if not sig or not hmac.compare_digest(sig, expected):
        return None
    try:
        claims = json.loads(_unb64(payload))
        expired = int(claims["exp"]) <= now.timestamp()
        sub, role = str(claims["sub"]), str(claims["role"])
    except (ValueError, KeyError, TypeError):
        return None
    return None if expired else {"sub": sub, "role": role}


def derive_secret(explicit: str | None, service_key: str | None, fallback: bytes) -> bytes:
    """OPERATOR_TOKEN_SECRET, else a key derived from CERTOBOT_API_KEY, else the process's random one."""
    if explicit:
        return explicit.encode()
    if service_key:
        return hmac.new(service_key.encode(), b"certobot operator tokens v1", hashlib.sha256).digest()
    return fallback
