"""Stand-ins for the edges we cannot reach, speaking their real wire format.

`FakeGraph` answers like Meta's Graph API (WhatsApp Cloud API): `/{phone-number-id}/messages` with
`contacts[].wa_id` and `messages[].id`, `/{phone-number-id}/media` with `{"id": ...}`, and Meta's error
body `{"error": {"message", "type", "code", "fbtrace_id"}}` when told to fail. `status_webhook` is
the `statuses` webhook Meta posts about a message it took, echoing the request's
`biz_opaque_callback_data`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Sent:
    path: str
    body: dict[str, Any] | None
    at: float
    media_bytes: bytes = b""
    wall: float = field(default_factory=time.time)
    wamid: str = ""  # the id Meta answered with


@dataclass
class FakeGraph:
    sent: list[Sent] = field(default_factory=list)
    failures: list[tuple[int, int]] = field(default_factory=list)  # (http status, Meta code), consumed in order
    wa_id_map: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    refuse: int = 0  # connections refused before the request reaches Meta
    lose_answers: int = 0  # requests Meta carries out whose answer never arrives (read timeout)

    def fail_next(self, n: int, status: int = 429, code: int = 130429) -> None:
        self.failures.extend([(status, code)] * n)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.refuse:
            self.refuse -= 1
            raise httpx.ConnectError("connection refused", request=request)
        response = self._answer(request)
        if self.lose_answers:
            self.lose_answers -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.failures:
            status, code = self.failures.pop(0)
            return httpx.Response(
                status,
                json={"error": {"message": "injected", "type": "OAuthException", "code": code, "fbtrace_id": "Afake"}},
            )
        path = request.url.path
        if path.endswith("/media"):
            media_id = str(uuid.uuid4().int)[:16]
            self.sent.append(Sent(path, None, time.monotonic(), request.content))
            return httpx.Response(200, json={"id": media_id})
        body = json.loads(request.content)
        if body.get("status") == "read":
            return httpx.Response(200, json={"success": True})
        wamid = "wamid.FAKE" + uuid.uuid4().hex.upper()
        self.sent.append(Sent(path, body, time.monotonic(), wamid=wamid))
        to = str(body.get("to", ""))
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": self.wa_id_map.get(to, to)}],
                "messages": [{"id": wamid}],
            },
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def messages_to(self, phone_digits: str) -> list[dict[str, Any]]:
        def key(p: str) -> str:
            d = "".join(c for c in p if c.isdigit())
            return d[:4] + d[5:] if len(d) == 13 else d

        return [s.body for s in self.sent if s.body is not None and key(str(s.body.get("to"))) == key(phone_digits)]

    def texts_to(self, phone_digits: str) -> list[str]:
        out = []
        for b in self.messages_to(phone_digits):
            if b.get("type") == "text":
                out.append(b["text"]["body"])
            elif b.get("type") == "document":
                out.append("[documento] " + b["document"].get("caption", ""))
            elif b.get("type") == "template":
                out.append("[modelo] " + b["template"]["name"])
        return out


def text_webhook(phone: str, text: str, *, wamid: str | None = None, ts: int | None = None) -> dict[str, Any]:
    """A text message exactly as the Cloud API delivers it (Webhooks reference, `messages`)."""
    return meta_webhook(
        {
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": phone}],
            "messages": [
                {
                    "from": phone,
                    "id": wamid or "wamid." + uuid.uuid4().hex.upper(),
                    "timestamp": str(ts or int(time.time())),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
    )


def meta_webhook(value: dict[str, Any]) -> dict[str, Any]:
    """The Cloud API's envelope around one change's `value` (messages or statuses) on our number."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def status_object(
    wamid: str, status: str, recipient_id: str, callback_data: str | None = None, *, at: int | None = None
) -> dict[str, Any]:
    """One object of a `statuses` webhook (Webhooks reference): the message, what became of it, and
    the send request's `biz_opaque_callback_data` echoed when it had one."""
    obj: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(at or int(time.time())),
        "recipient_id": recipient_id,
    }
    if callback_data is not None:
        obj["biz_opaque_callback_data"] = callback_data
    if status == "failed":
        obj["errors"] = [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable"}]
    else:
        obj["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service", "type": "regular"}
    return obj


def statuses_webhook(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """A `statuses` webhook body carrying the given status objects (Meta may batch several)."""
    return meta_webhook({"statuses": objects})


def status_webhook(sent: Sent, *statuses: str, wa_id: str | None = None) -> dict[str, Any]:
    """Meta's `statuses` webhook about a message it took, one object per status, in order."""
    body = sent.body or {}
    recipient = wa_id or str(body.get("to", ""))
    data = body.get("biz_opaque_callback_data")
    return statuses_webhook([status_object(sent.wamid, s, recipient, data) for s in statuses])


def sign(raw: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
