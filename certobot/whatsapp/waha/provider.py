"""WAHA as the bot's `Provider`: the kernel's `WahaSender`, plus WAHA's webhooks read in the bot's terms."""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx
from pydantic import ValidationError
from redis.asyncio import Redis

from certobot.config import BotSettings
from certobot.whatsapp.provider import Inbound
from certobot.whatsapp.waha import signature
from certobot.whatsapp.waha.schemas import WahaAck, WahaEvent, WahaMessage, WahaSessionStatus, to_inbound, to_status
from certokit.clock import Clock
from certokit.whatsapp.waha.client import WahaClient
from certokit.whatsapp.waha.sender import WahaSender

MESSAGE_EVENTS = frozenset({"message", "message.any"})


def parse_events(raw: bytes, session: str | None = None) -> Inbound:
    """WAHA's body (one event per POST) in the bot's terms. ValueError if it is not WAHA JSON.

    Events of another session on the same WAHA server are not ours: ignored."""
    try:
        event = WahaEvent.model_validate(json.loads(raw))
    except ValidationError as exc:
        raise ValueError("não é um evento do WAHA") from exc
    if session is not None and event.session not in (None, session):
        return Inbound()
    if event.event in MESSAGE_EVENTS:
        inbound = to_inbound(WahaMessage.model_validate(event.payload))
        return Inbound(messages=[inbound] if inbound else [])
    if event.event == "message.ack":
        status = to_status(WahaAck.model_validate(event.payload))
        return Inbound(statuses=[status] if status else [])
    if event.event == "session.status":
        return Inbound(session_status=WahaSessionStatus.model_validate(event.payload).status)
    return Inbound()


class WahaProvider(WahaSender):
    def __init__(
        self,
        client: WahaClient,
        *,
        redis: Redis | None = None,
        hmac_key: str | None = None,
        openings_per_minute: int = 4,
        delay_seconds: tuple[float, float] = (0.0, 0.0),
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            client, redis=redis, openings_per_minute=openings_per_minute, delay_seconds=delay_seconds, clock=clock
        )
        self._key = hmac_key

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        if self._key is None:
            return True  # development without WAHA_WEBHOOK_HMAC_KEY; production refuses to start so
        return signature.verify(raw, headers, self._key)

    def parse(self, raw: bytes) -> Inbound:
        return parse_events(raw, self.client.session)


def build_waha(
    settings: BotSettings, http: httpx.AsyncClient, redis: Redis | None = None, clock: Clock | None = None
) -> WahaProvider:
    """The bot's WAHA: webhook signature key, openings per minute, "digitando…" delays."""
    client = WahaClient(
        http,
        base_url=settings.waha_base_url,
        api_key=settings.waha_api_key.get_secret_value() if settings.waha_api_key else None,
        session=settings.waha_session,
    )
    return WahaProvider(
        client,
        redis=redis,
        hmac_key=settings.waha_webhook_hmac_key.get_secret_value() if settings.waha_webhook_hmac_key else None,
        openings_per_minute=settings.waha_openings_per_minute,
        delay_seconds=(settings.waha_send_delay_min_seconds, settings.waha_send_delay_max_seconds),
        clock=clock,
    )
