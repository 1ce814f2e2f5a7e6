"""The one client of Meta's Graph API (WhatsApp Cloud API) in the repository, used by both services.

It speaks the documented wire format and classifies Meta's errors; retry policy lives here too so
that the bot and the CRM back off the same way: 130429 (throughput), 131056 (pair rate), 5xx and
timeouts are retried with exponential backoff and jitter; everything else is final.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import stamina

# Meta error codes (Cloud API "Error codes" page).
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131056})
OUTSIDE_WINDOW = 131047
RETRYABLE_CODES = RATE_LIMIT_CODES | frozenset({1, 2, 131000, 131016, 133004})


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str | None
    input: str | None


class GraphError(Exception):
    """An answer from the Graph API that is not a success."""

    def __init__(self, status: int, code: int | None, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"Graph API {status} code={code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body or {}

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status == 429 or (self.code in RETRYABLE_CODES)

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": self.message}


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, GraphError):
        return exc.retryable
    return isinstance(exc, httpx.TransportError)


class GraphClient:
    """Sends on behalf of one business phone number."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        access_token: str,
        phone_number_id: str,
        attempts: int = 6,
        timeout: float = 60.0,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._auth = {"Authorization": f"Bearer {access_token}"}
        self._attempts = attempts
        self._timeout = timeout

    async def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        async for attempt in stamina.retry_context(
            on=_retryable, attempts=self._attempts, timeout=self._timeout, wait_initial=0.5, wait_max=16.0
        ):
            with attempt:
                return await self._post_once(path, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post_once(self, path: str, **kwargs: Any) -> dict[str, Any]:
        r = await self.http.post(f"{self.base_url}/{path}", headers=self._auth, **kwargs)
        try:
            body = r.json()
        except (json.JSONDecodeError, ValueError):
            body = {}
        if r.is_success:
            return body if isinstance(body, dict) else {}
        err = body.get("error", {}) if isinstance(body, dict) else {}
        raise GraphError(r.status_code, err.get("code"), str(err.get("message", r.reason_phrase)), body)

    async def send(self, to: str, message: dict[str, Any], *, retry: bool = True) -> SendResult:
        """POST /{phone-number-id}/messages with a message object (`type` and its block)."""
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        post = self._post if retry else self._post_once
        body = await post(f"{self.phone_number_id}/messages", json=payload)
        contacts = body.get("contacts") or [{}]
        messages = body.get("messages") or [{}]
        return SendResult(
            wamid=str(messages[0].get("id", "")), wa_id=contacts[0].get("wa_id"), input=contacts[0].get("input")
        )

    async def send_text(self, to: str, text: str) -> SendResult:
        return await self.send(to, text_message(text))

    async def send_template(self, to: str, name: str, language: str, body_params: list[str]) -> SendResult:
        return await self.send(to, template_message(name, language, body_params))

    async def send_document(self, to: str, media_id: str, filename: str, caption: str) -> SendResult:
        return await self.send(
            to, {"type": "document", "document": {"id": media_id, "filename": filename, "caption": caption}}
        )

    async def send_buttons(self, to: str, text: str, buttons: list[tuple[str, str]]) -> SendResult:
        return await self.send(to, buttons_message(text, buttons))

    async def upload_media(self, data: bytes, filename: str, mime_type: str) -> str:
        """POST /{phone-number-id}/media (multipart); returns the media id."""
        body = await self._post(
            f"{self.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, data, mime_type)},
        )
        return str(body["id"])

    async def mark_read(self, wamid: str) -> None:
        await self._post(
            f"{self.phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "status": "read", "message_id": wamid},
        )


def text_message(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"preview_url": False, "body": text}}


def template_message(name: str, language: str, body_params: list[str]) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if body_params:
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in body_params]}]
    return {"type": "template", "template": template}


def buttons_message(text: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": text},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": bid, "title": title[:20]}} for bid, title in buttons[:3]]
            },
        },
    }
