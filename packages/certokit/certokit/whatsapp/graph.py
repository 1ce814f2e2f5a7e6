"""The one client of Meta's Graph API (WhatsApp Cloud API) in the repository, used by both services.

It speaks the documented wire format and classifies Meta's errors; retry policy lives here too so
that the bot and the CRM back off the same way. This is the one retry layer: a message POST is
retried only when it cannot have been delivered — the connection was never made (connect error,
connect or pool timeout), Meta said 429, or Meta answered one of its documented transient codes
(Cloud API "Error codes": 1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004) or 503. A read
timeout or a dropped connection after the body went out is never retried: Meta's messages endpoint
takes no idempotency key, so a second POST could deliver the message twice. A media upload may be
retried on those too (an orphan upload is invisible to the debtor). Every attempt is paced by the
caller's rate limiter, so retries never exceed the per-number rate.

What Meta offers instead of an idempotency key is `biz_opaque_callback_data` (`with_callback_data`):
a string of the sender's choosing, at most 512 characters, that Meta does not process and echoes in
every `statuses` webhook object about the message ("sent", "delivered", "read", "failed"). A sender
that names its outbox row there learns from the webhook that a send it never recorded did happen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pydantic_core

from certokit.http import JsonPost
from certokit.retry import after_a_failure

# Meta error codes (Cloud API "Error codes" page).
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131056})
OUTSIDE_WINDOW = 131047
RETRYABLE_CODES = RATE_LIMIT_CODES | frozenset({1, 2, 131000, 131016, 133004})

# Send request field echoed in the status webhooks (Cloud API "Messages" reference), and its limit.
CALLBACK_DATA = "biz_opaque_callback_data"
CALLBACK_DATA_MAX = 512


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
        """Meta refused it for now and asks for a later try: nothing was delivered."""
        return self.status in (429, 503) or self.code in RETRYABLE_CODES

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": self.message}


Pace = Callable[[], Awaitable[None]]

# Raised before a byte of the request reached the server: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def request_not_sent(exc: BaseException) -> bool:
    return isinstance(exc, _NOT_SENT)


def _retry_send(exc: Exception) -> bool:
    """For a message POST: only what cannot have been delivered."""
    return exc.retryable if isinstance(exc, GraphError) else request_not_sent(exc)


def _retry_upload(exc: Exception) -> bool:
    """For a media upload: a lost answer only costs an unused media id."""
    return exc.retryable if isinstance(exc, GraphError) else isinstance(exc, httpx.TransportError)


async def no_pace() -> None:
    return None


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
        # Every message (and read receipt) is a JSON POST to this one URL: built once (certokit.http).
        self._messages = JsonPost(http, f"{self.base_url}/{phone_number_id}/messages", self._auth)

    async def _retrying(
        self, attempt: Callable[[], Awaitable[httpx.Response]], *, on: Callable[[Exception], bool], pace: Pace
    ) -> dict[str, Any]:
        """Meta's answer to `attempt()`, retried while `on` accepts the error, within the attempts
        and the time allowed (`certokit.retry.after_a_failure`); every attempt counts against the
        number's rate, retries included."""

        async def paced() -> dict[str, Any]:
            await pace()
            return _answer(await attempt())

        return await after_a_failure(
            paced, on=on, attempts=self._attempts, deadline=self._timeout, wait_initial=0.5, wait_max=16.0
        )

    async def send(self, to: str, message: dict[str, Any], *, retry: bool = True, pace: Pace = no_pace) -> SendResult:
        """POST /{phone-number-id}/messages with a message object (`type` and its block)."""
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        if retry:
            body = await self._retrying(lambda: self._messages(payload), on=_retry_send, pace=pace)
        else:
            await pace()
            body = _answer(await self._messages(payload))
        contacts = body.get("contacts") or [{}]
        messages = body.get("messages") or [{}]
        return SendResult(
            wamid=str(messages[0].get("id", "")), wa_id=contacts[0].get("wa_id"), input=contacts[0].get("input")
        )

    async def send_text(self, to: str, text: str, *, pace: Pace = no_pace) -> SendResult:
        return await self.send(to, text_message(text), pace=pace)

    async def send_template(self, to: str, name: str, language: str, body_params: list[str]) -> SendResult:
        return await self.send(to, template_message(name, language, body_params))

    async def send_document(
        self, to: str, media_id: str, filename: str, caption: str, *, pace: Pace = no_pace
    ) -> SendResult:
        return await self.send(
            to, {"type": "document", "document": {"id": media_id, "filename": filename, "caption": caption}}, pace=pace
        )

    async def send_buttons(self, to: str, text: str, buttons: list[tuple[str, str]]) -> SendResult:
        return await self.send(to, buttons_message(text, buttons))

    async def upload_media(self, data: bytes, filename: str, mime_type: str) -> str:
        """POST /{phone-number-id}/media (multipart); returns the media id."""
        body = await self._retrying(
            lambda: self.http.post(
                f"{self.base_url}/{self.phone_number_id}/media",
                headers=self._auth,
                data={"messaging_product": "whatsapp", "type": mime_type},
                files={"file": (filename, data, mime_type)},
            ),
            on=_retry_upload,
            pace=no_pace,
        )
        return str(body["id"])

    async def mark_read(self, wamid: str) -> None:
        payload = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        await self._retrying(lambda: self._messages(payload), on=_retry_send, pace=no_pace)


def _answer(r: httpx.Response) -> dict[str, Any]:
    """Meta's JSON answer, or the GraphError it stands for."""
    try:
        body = pydantic_core.from_json(r.content)
    except ValueError:  # not JSON (a proxy's page, an empty body): the status still says what happened
        body = {}
    if r.is_success:
        return body if isinstance(body, dict) else {}
    err = body.get("error", {}) if isinstance(body, dict) else {}
    raise GraphError(r.status_code, err.get("code"), str(err.get("message", r.reason_phrase)), body)


def with_callback_data(message: dict[str, Any], data: str) -> dict[str, Any]:
    """The message object (any type: text, template, document, interactive…) carrying `data` for
    Meta to echo in the status webhooks; a top-level field of the send request body."""
    if not 0 < len(data) <= CALLBACK_DATA_MAX:
        raise ValueError(f"{CALLBACK_DATA} must have 1 to {CALLBACK_DATA_MAX} characters")
    return {**message, CALLBACK_DATA: data}


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
