"""WAHA's REST API, the calls the services need; the session is named explicitly on every call.

WAHA answers a send with 201 and a body that differs by engine (WEBJS: the message with
`id._serialized`; NOWEB: `key.id` and `key.remoteJid`) or is empty, so nothing here depends on
its shape: the message id is read when it is there and the send counts as done either way.

No retries here: the outbox is the one retry layer. What cannot have reached WAHA (connection
refused, 429, 502/503/504) is retryable; a timeout after the request went out may have been sent,
so it is final rather than risk a debtor reading a message twice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx

from certokit.whatsapp.channel import ProviderError

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


class WahaError(ProviderError):
    """An answer from WAHA that is not a success, or no answer at all."""


@dataclass(frozen=True)
class WahaFile:
    """A file for /api/sendFile: by URL WAHA can fetch, or inline (base64)."""

    mimetype: str
    filename: str
    url: str | None = None
    data: bytes | None = None

    def wire(self) -> dict[str, str]:
        out = {"mimetype": self.mimetype, "filename": self.filename}
        if self.url is not None:
            out["url"] = self.url
        else:
            out["data"] = base64.b64encode(self.data or b"").decode("ascii")
        return out


def session_not_ready(status: int, body: Any) -> bool:
    """WAHA refusing because the session is not WORKING (QR code to scan, starting, stopped): 422
    with the status it found and the one it expected, or 404 for a session not started. Nothing was
    sent, and it will go once the number is back: retryable."""
    if not isinstance(body, dict):
        return False
    if status == 422:
        return "expected" in body or "Session status" in str(body.get("error") or body.get("message") or "")
    return status == 404 and "session" in str(body.get("message") or "").lower()


def chat_id(to: str) -> str:
    """`5511987654321` (or an id WAHA already gave us) → `5511987654321@c.us`."""
    if "@" in to:
        return to
    return "".join(c for c in to if c.isdigit()) + "@c.us"


def message_id(body: Any, chat: str) -> str | None:
    """The sent message's serialized id, from whichever engine's answer (None if it has none)."""
    if not isinstance(body, dict):
        return None
    ident = body.get("id")
    if isinstance(ident, str) and ident:
        return ident
    if isinstance(ident, dict) and isinstance(ident.get("_serialized"), str):
        return str(ident["_serialized"])
    key = body.get("key")
    if isinstance(key, dict) and isinstance(key.get("id"), str):
        remote = str(key.get("remoteJid") or chat).replace("@s.whatsapp.net", "@c.us")
        # WAHA names a NOWEB message in its webhooks as `{fromMe}_{chat}_{id}`.
        return f"true_{remote}_{key['id']}"
    return None


class WahaClient:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, api_key: str | None, session: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.session = session
        self._headers = {"X-Api-Key": api_key} if api_key else {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = await self.http.request(method, f"{self.base_url}{path}", headers=self._headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise WahaError(0, type(exc).__name__, "WAHA inacessível", retryable=True) from exc
        except httpx.TimeoutException as exc:
            # The request left: WAHA may have sent it. Not retried (no idempotency key to offer).
            raise WahaError(0, type(exc).__name__, "WAHA não respondeu a tempo", retryable=False) from exc
        except httpx.HTTPError as exc:
            raise WahaError(0, type(exc).__name__, str(exc), retryable=False) from exc
        try:
            body: Any = r.json() if r.content else None
        except ValueError:
            body = None
        if r.is_success:
            return body
        detail = (body.get("error") or body.get("message")) if isinstance(body, dict) else None
        raise WahaError(
            r.status_code,
            r.status_code,
            str(detail or r.reason_phrase or "erro"),
            retryable=r.status_code in RETRYABLE_STATUS or session_not_ready(r.status_code, body),
        )

    async def send_text(self, to: str, text: str) -> str | None:
        chat = chat_id(to)
        body = await self._call(
            "POST", "/api/sendText", json={"session": self.session, "chatId": chat, "text": text, "linkPreview": False}
        )
        return message_id(body, chat)

    async def send_file(self, to: str, file: WahaFile, caption: str | None = None) -> str | None:
        chat = chat_id(to)
        payload: dict[str, Any] = {"session": self.session, "chatId": chat, "file": file.wire()}
        if caption:
            payload["caption"] = caption
        return message_id(await self._call("POST", "/api/sendFile", json=payload), chat)

    async def send_image(self, to: str, file: WahaFile, caption: str | None = None) -> str | None:
        chat = chat_id(to)
        payload: dict[str, Any] = {"session": self.session, "chatId": chat, "file": file.wire()}
        if caption:
            payload["caption"] = caption
        return message_id(await self._call("POST", "/api/sendImage", json=payload), chat)

    async def send_seen(self, to: str) -> None:
        await self._call("POST", "/api/sendSeen", json={"session": self.session, "chatId": chat_id(to)})

    async def start_typing(self, to: str) -> None:
        await self._call("POST", "/api/startTyping", json={"session": self.session, "chatId": chat_id(to)})

    async def stop_typing(self, to: str) -> None:
        await self._call("POST", "/api/stopTyping", json={"session": self.session, "chatId": chat_id(to)})

    async def check_exists(self, phone: str) -> str | None:
        """The chat id WhatsApp knows for a number (old accounts lack the ninth digit); None if none."""
        body = await self._call(
            "GET", "/api/contacts/check-exists", params={"phone": chat_id(phone).split("@")[0], "session": self.session}
        )
        if isinstance(body, dict) and body.get("numberExists") and isinstance(body.get("chatId"), str):
            return str(body["chatId"])
        return None

    async def session_status(self) -> str | None:
        body = await self._call("GET", f"/api/sessions/{self.session}", timeout=2.0)
        status = body.get("status") if isinstance(body, dict) else None
        return str(status) if status else None
