"""`Idempotency-Key` on the CRM's POSTs: a repeat with the same key answers the stored response.

The bot's outbox sends each row with its own key and may send it again after a crash or a lost
answer; this makes the repeat harmless for every POST (contact log, results, boleto generation),
not only for the ones that happen to have a natural key. The key is reserved before the route runs
(a concurrent repeat is told to try again in a moment), the response stored after it, and only a
2xx is stored: a 401/404/422 may turn out differently once the caller fixes it. A key reused for a
different request (method, path, body) is refused with a 422. A reservation whose holder died is
taken over after `STALE`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certokit.db import UtcDateTime, one_statement, utcnow
from mock_crm.base import CrmBase
from mock_crm.sealed import SealedBlob
from mock_crm.settings import CrmSettings

HEADER = b"idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
STALE = timedelta(seconds=60)
MAX_KEY = 200


class IdempotencyKey(CrmBase):
    __tablename__ = "crm_idempotency_keys"

    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    # sha256 of method, path and body: the path carries a CPF, so only its hash is kept.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column()  # None while the first request runs
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(SealedBlob)  # a debtor's record, a boleto: sealed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# Built once: every POST with a key runs the reservation and the store (or the forgetting), and
# building them per request cost more CPU than executing them.
def _reservation(insert: Any) -> Any:
    return (
        insert(IdempotencyKey)
        .values(key=bindparam("key"), fingerprint=bindparam("fingerprint"), status=None, created_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["key"])
    )


_RESERVE = {"postgresql": _reservation(pg_insert), "sqlite": _reservation(sqlite_insert)}
_STORE = (
    update(IdempotencyKey)
    .where(IdempotencyKey.key == bindparam("k"))
    .values(
        status=bindparam("answer_status", type_=Integer),
        content_type=bindparam("answer_type", type_=String(100)),
        body=bindparam("answer_body", type_=SealedBlob),
    )
)
_FORGET = delete(IdempotencyKey).where(IdempotencyKey.key == bindparam("k"))


def _json(status: int, detail: str) -> tuple[int, bytes, str]:
    return status, json.dumps({"detail": detail}, ensure_ascii=False).encode(), "application/json"


async def _reserve(maker: async_sessionmaker[AsyncSession], key: str, fingerprint: str) -> IdempotencyKey | None:
    """Reserve `key` for this request; None if reserved now, else the row found there.

    The usual case, a new key, is one statement on its own (one round trip, no BEGIN/COMMIT); only a
    key already there is read again under a row lock, in a transaction.
    """
    async with one_statement(maker) as conn:
        stmt = _RESERVE["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
        if (await conn.execute(stmt, {"key": key, "fingerprint": fingerprint, "at": utcnow()})).rowcount:
            return None
    async with maker() as session, session.begin():
        return await _taken(session, key)


async def _taken(session: AsyncSession, key: str) -> IdempotencyKey | None:
    row = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key).with_for_update())
    if row is not None and row.status is None and row.created_at < utcnow() - STALE:
        row.created_at = utcnow()  # its holder died mid-request: this one carries it out
        return None
    return row


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        raw_key = headers.get(HEADER)
        if raw_key is None or scope["method"] != "POST" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        settings: CrmSettings = scope["app"].state.settings
        token = headers.get(b"authorization", b"").decode(errors="replace").partition(" ")[2].strip()
        if not hmac.compare_digest(token.encode(), settings.crm_api_key.get_secret_value().encode()):
            await self.app(scope, receive, send)  # the route answers 401; nothing is reserved for a stranger
            return
        key = raw_key.decode(errors="replace").strip()
        if not key or len(key) > MAX_KEY:
            await _answer(send, *_json(422, f"Idempotency-Key deve ter de 1 a {MAX_KEY} caracteres."))
            return
        body = await _read_body(receive)
        fingerprint = hashlib.sha256(
            b"%s %s\n%s" % (scope["method"].encode(), scope["path"].encode(), body)
        ).hexdigest()
        maker: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker
        found = await _reserve(maker, key, fingerprint)
        if found is not None:
            if found.fingerprint != fingerprint:
                await _answer(send, *_json(422, "Esta Idempotency-Key já foi usada num pedido diferente."))
            elif found.status is None:
                await _answer(
                    send, *_json(409, "Um pedido com esta Idempotency-Key ainda está em andamento; tente de novo.")
                )
            else:
                await _answer(send, found.status, found.body or b"", found.content_type, replayed=True)
            return
        await self._run_and_store(scope, body, send, maker, key)

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, maker: async_sessionmaker[AsyncSession], key: str
    ) -> None:
        status, content_type, chunks = 500, None, []
        sent_body = False

        async def replay() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = dict(message.get("headers") or []).get(b"content-type", b"").decode() or None
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay, capture)
        finally:
            async with one_statement(maker) as conn:  # one statement, one round trip
                if 200 <= status < 300:
                    answer = {"answer_status": status, "answer_type": content_type, "answer_body": b"".join(chunks)}
                    await conn.execute(_STORE, {"k": key, **answer})
                else:
                    await conn.execute(_FORGET, {"k": key})


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(parts)


async def _answer(
    send: Send, status: int, body: bytes, content_type: str | None = "application/json", *, replayed: bool = False
) -> None:
    headers = [
        (b"content-type", (content_type or "application/json").encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if replayed:
        headers.append(REPLAYED)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
