"""WAHA as a `ChannelSender`: the Cloud API-shaped messages of an outbox, sent through WAHA's REST API.

WAHA has no approved templates and no 24-hour window: a template (the opening) goes out as the
same words in plain text. Because the number is an ordinary, unofficial account, sends are paced
to look like a person and not a blast: openings are capped per minute across every process
(Redis), and each send waits a random delay with "digitando…" shown first.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from contextlib import suppress
from typing import Any

from redis.asyncio import Redis

from certokit.clock import Clock, SystemClock
from certokit.logging import get_logger
from certokit.whatsapp.channel import ProviderError, SendResult, opening_text
from certokit.whatsapp.graph import Pace, no_pace
from certokit.whatsapp.waha.client import WahaClient, WahaError, WahaFile, chat_id

log = get_logger("certokit.waha")

# Redis keys keep their original prefix: both services may share one WAHA session and one Redis.
STATUS_KEY = "certobot:waha:session:"
OPENINGS_KEY = "certobot:waha:openings:"


def template_text(template: dict[str, Any]) -> str:
    params = [
        str(p.get("text", ""))
        for c in template.get("components") or []
        if c.get("type") == "body"
        for p in c.get("parameters") or []
    ]
    return opening_text(params)


def as_text(message: dict[str, Any]) -> str:
    """The words of a text-like message (text, template, interactive buttons listed as options)."""
    kind = message.get("type")
    if kind == "text":
        return str(message["text"]["body"])
    if kind == "template":
        return template_text(message["template"])
    if kind == "interactive":
        inter = message["interactive"]
        options = [b["reply"]["title"] for b in inter.get("action", {}).get("buttons", []) if "reply" in b]
        lines = [str(inter.get("body", {}).get("text", ""))]
        if options:
            lines.append("\n".join(f"{i}. {title}" for i, title in enumerate(options, 1)))
        return "\n\n".join(lines)
    raise WahaError(422, "unsupported", f"tipo de mensagem sem equivalente no WAHA: {kind}", retryable=False)


async def remember_session_status(redis: Redis, session: str, status: str) -> None:
    """The last `session.status` a webhook reported: what `session_status` answers when WAHA does not."""
    await redis.set(STATUS_KEY + session, json.dumps({"status": status, "at": time.time()}), ex=7 * 86_400)


class WahaSender:
    name = "waha"

    def __init__(
        self,
        client: WahaClient,
        *,
        redis: Redis | None = None,
        openings_per_minute: int = 4,
        delay_seconds: tuple[float, float] = (0.0, 0.0),
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.account_id = f"waha:{client.session}"
        self.redis = redis
        self.openings_per_minute = openings_per_minute
        self.delay_seconds = delay_seconds
        self._chats: dict[str, str] = {}
        self.clock = clock or SystemClock()

    async def pace(self, to: str, message: dict[str, Any]) -> None:
        if message.get("type") == "template":
            await self._opening_allowance()
        low, high = self.delay_seconds
        delay = random.uniform(low, high)  # pacing, not security
        if delay <= 0:
            return
        chat = await self._chat(to)
        with suppress(ProviderError):  # cosmetic: a failed "typing…" must not stop the message
            await self.client.start_typing(chat)
        await asyncio.sleep(delay)
        with suppress(ProviderError):
            await self.client.stop_typing(chat)

    async def _opening_allowance(self) -> None:
        """One of this minute's openings, or a retryable refusal (the outbox tries again later)."""
        if self.redis is None:
            return
        minute = int(self.clock.now().timestamp() // 60)
        key = f"{OPENINGS_KEY}{self.client.session}:{minute}"
        count = await self.redis.incr(key)
        if count == 1:
            await self.redis.expire(key, 120)
        if count > self.openings_per_minute:
            await self.redis.decr(key)
            raise WahaError(429, "paced", "limite de aberturas por minuto do número", retryable=True)

    async def _chat(self, to: str) -> str:
        """The chat id WhatsApp really has for the number (accounts from before the ninth digit
        lack it); asked once per number and process, the plain form if WAHA cannot say."""
        if "@" in to:
            return to
        known = self._chats.get(to)
        if known is not None:
            return known
        chat = chat_id(to)
        try:
            chat = await self.client.check_exists(to) or chat
        except ProviderError as exc:
            if exc.retryable:
                raise
            log.info("waha_check_exists_unavailable", status=exc.status)
        if len(self._chats) > 50_000:
            self._chats.clear()
        self._chats[to] = chat
        return chat

    def _result(self, chat: str, ident: str | None) -> SendResult:
        return SendResult(wamid=ident or "", wa_id=chat.split("@")[0], input=None)

    async def send(self, to: str, message: dict[str, Any], *, pace: Pace = no_pace) -> SendResult:
        await pace()
        chat = await self._chat(to)
        kind = message.get("type")
        if kind in ("document", "image"):
            block = message[str(kind)]
            if block.get("link"):
                file = WahaFile(
                    mimetype=str(block.get("mime_type") or ("application/pdf" if kind == "document" else "image/jpeg")),
                    filename=str(block.get("filename") or kind),
                    url=str(block["link"]),
                )
                send = self.client.send_file if kind == "document" else self.client.send_image
                return self._result(chat, await send(chat, file, block.get("caption")))
            raise WahaError(422, "unsupported", "mídia do WhatsApp Cloud (id) não existe no WAHA", retryable=False)
        return self._result(chat, await self.client.send_text(chat, as_text(message)))

    async def send_text(self, to: str, text: str) -> SendResult:
        chat = await self._chat(to)
        return self._result(chat, await self.client.send_text(chat, text))

    async def send_document(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "application/pdf"
    ) -> SendResult:
        # Inline (base64): WAHA needs no route back to us, and no link to the PDF ever exists.
        chat = await self._chat(to)
        file = WahaFile(mimetype=mime_type, filename=filename, data=data)
        return self._result(chat, await self.client.send_file(chat, file, caption))

    async def send_image(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "image/jpeg"
    ) -> SendResult:
        chat = await self._chat(to)
        file = WahaFile(mimetype=mime_type, filename=filename, data=data)
        return self._result(chat, await self.client.send_image(chat, file, caption))

    async def send_opening(self, to: str, name: str, language: str, params: list[str]) -> SendResult:
        # No templates on WAHA: the template's words, as text.
        return await self.send_text(to, opening_text(params))

    async def session_status(self) -> str | None:
        """WAHA's own answer when it gives one; else the last `session.status` webhook."""
        with suppress(ProviderError):
            return await self.client.session_status()
        if self.redis is not None:
            raw = await self.redis.get(STATUS_KEY + self.client.session)
            if raw:
                return str(json.loads(raw)["status"])
        return None
