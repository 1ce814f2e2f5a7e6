"""A WAHA server on loopback, speaking WAHA's REST wire format (`src/api/chatting.controller.ts`).

Sends answer 201 with the body the configured engine gives (WEBJS: the created message with
`id._serialized`; NOWEB: the Baileys `key`; `empty`: no body at all); `X-Api-Key` and the `session`
in every body are checked like WAHA does; failures can be injected on the send endpoints. Webhook
bodies come from `tests/data/waha/` and are signed with a real HMAC-SHA512.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

DATA = Path(__file__).parent.parent.parent / "data" / "waha"
SEND_PATHS = frozenset({"/api/sendText", "/api/sendFile", "/api/sendImage"})


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return body


def waha_sign(raw: bytes, key: str) -> str:
    return hmac.new(key.encode(), raw, hashlib.sha512).hexdigest()


def message_event(
    phone_digits: str, text: str, *, msg_id: str | None = None, event: str = "message", ts: int | None = None
) -> dict[str, Any]:
    """WAHA's `message` example (tests/data/waha/message.json) from this chat, with this text."""
    body = load("message")
    body["event"] = event
    p = body["payload"]
    chat = f"{phone_digits}@c.us"
    short = msg_id or uuid.uuid4().hex[:20].upper()
    p["id"] = f"false_{chat}_{short}"
    p["from"] = p["_data"]["from"] = p["_data"]["id"]["remote"] = chat
    p["_data"]["id"]["id"] = short
    p["_data"]["id"]["_serialized"] = p["id"]
    p["body"] = p["_data"]["body"] = text
    if ts is not None:
        p["timestamp"] = p["_data"]["t"] = ts
    return body


def ack_event(message_id: str, ack: int, ack_name: str) -> dict[str, Any]:
    body = load("message_ack_read")
    body["payload"].update(id=message_id, ack=ack, ackName=ack_name)
    return body


@dataclass
class Call:
    path: str
    body: dict[str, Any] | None
    api_key: str | None
    delivered: bool = True  # False: WAHA refused it (or never answered), the phone shows nothing


@dataclass
class FakeWaha:
    api_key: str = "waha-test-key"
    session: str = "default"
    engine: Literal["WEBJS", "NOWEB", "empty"] = "WEBJS"
    status: str = "WORKING"
    calls: list[Call] = field(default_factory=list)
    failures: list[int | type[Exception]] = field(default_factory=list)  # HTTP status or exception, in order
    chat_ids: dict[str, str] = field(default_factory=dict)  # number → chat id WhatsApp knows

    def fail_next(self, n: int, status: int | type[Exception] = 503) -> None:
        self.failures.extend([status] * n)

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content) if request.content else None
        self.calls.append(Call(path, body, request.headers.get("x-api-key")))
        if request.headers.get("x-api-key") != self.api_key:
            return httpx.Response(401, json={"message": "Unauthorized", "statusCode": 401})
        if path == f"/api/sessions/{self.session}":
            return httpx.Response(200, json={"name": self.session, "status": self.status, "config": {}})
        if self.status != "WORKING" and (path in SEND_PATHS or path == "/api/contacts/check-exists"):
            # WAHA's manager.waitUntilStatus: 422 with the status found and the one expected.
            return httpx.Response(
                422,
                json={
                    "error": "Session status is not as expected. Try again later or restart the session",
                    "session": self.session,
                    "status": self.status,
                    "expected": ["WORKING"],
                },
            )
        if path == "/api/contacts/check-exists":
            phone = request.url.params.get("phone", "")
            if request.url.params.get("session") != self.session:
                return httpx.Response(404, json={"message": "Session not found"})
            return httpx.Response(200, json={"numberExists": True, "chatId": self.chat_ids.get(phone, f"{phone}@c.us")})
        if body is None or body.get("session") != self.session:
            return httpx.Response(422, json={"message": "session is required", "statusCode": 422})
        if path in SEND_PATHS and self.failures:
            failure = self.failures.pop(0)
            self.calls[-1].delivered = isinstance(failure, type) and issubclass(failure, httpx.ReadTimeout)
            if isinstance(failure, int):
                return httpx.Response(failure, json={"statusCode": failure, "message": "injected failure"})
            raise failure("injected", request=request)
        if path in SEND_PATHS:
            return self._sent(body)
        if path in ("/api/sendSeen", "/api/startTyping", "/api/stopTyping"):
            return httpx.Response(201)
        return httpx.Response(404, json={"message": f"Cannot POST {path}", "statusCode": 404})

    def _sent(self, body: dict[str, Any]) -> httpx.Response:
        chat, short = str(body["chatId"]), uuid.uuid4().hex[:26].upper()
        if self.engine == "empty":
            return httpx.Response(201)
        if self.engine == "NOWEB":
            answer = copy.deepcopy(load("send_text_noweb"))
            answer["key"].update(remoteJid=chat.replace("@c.us", "@s.whatsapp.net"), id=short)
            return httpx.Response(201, json=answer)
        answer = copy.deepcopy(load("send_text_webjs"))
        serialized = f"true_{chat}_{short}"
        for ident in (answer["id"], answer["_data"]["id"]):
            ident.update(remote=chat, id=short, _serialized=serialized)
        answer["to"] = chat
        return httpx.Response(201, json=answer)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    # --- what the debtor's phone shows ----------------------------------------------------------
    def sends(self) -> list[Call]:
        return [c for c in self.calls if c.path in SEND_PATHS and c.body is not None and c.delivered]

    def to(self, phone_digits: str) -> list[Call]:
        def key(chat: str) -> str:
            d = "".join(ch for ch in chat.split("@")[0] if ch.isdigit())
            return d[:4] + d[5:] if len(d) == 13 else d

        return [c for c in self.sends() if c.body and key(str(c.body["chatId"])) == key(phone_digits)]

    def texts_to(self, phone_digits: str) -> list[str]:
        out = []
        for c in self.to(phone_digits):
            assert c.body is not None
            if c.path == "/api/sendText":
                out.append(str(c.body["text"]))
            else:
                out.append("[arquivo] " + str(c.body.get("caption", "")))
        return out

    def files_to(self, phone_digits: str) -> list[tuple[dict[str, Any], bytes]]:
        files = []
        for c in self.to(phone_digits):
            if c.path == "/api/sendFile" and c.body is not None:
                f = c.body["file"]
                files.append((f, base64.b64decode(f["data"]) if "data" in f else b""))
        return files
