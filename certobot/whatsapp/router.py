"""Meta's webhook: verification GET and the signed POST that must be answered fast and durably."""

from __future__ import annotations

import hmac
import json
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from redis.asyncio import Redis

from certobot.deps import ResourcesDep
from certobot.errors import DomainError, Unauthorized
from certobot.logging import get_logger
from certobot.metrics import WEBHOOK_LATENCY
from certobot.whatsapp.inbox import store_messages, store_statuses
from certobot.whatsapp.pipeline import announce
from certobot.whatsapp.schemas import InboundMessage, WebhookBody, inbound_messages, statuses, system_errors
from certobot.whatsapp.signature import verify

router = APIRouter(tags=["whatsapp"])
log = get_logger("certobot.webhook")

MAX_BODY = 3 * 1024 * 1024  # Meta's payloads stay under 3 MB


class Forbidden(DomainError):
    status_code = 403
    detail = "Token de verificação inválido."


class BadSignature(Unauthorized):
    detail = "Assinatura X-Hub-Signature-256 ausente ou inválida."


class BadBody(DomainError):
    status_code = 400
    detail = "Corpo do webhook inválido: esperado JSON da WhatsApp Cloud API."


class TooLarge(DomainError):
    status_code = 413
    detail = "Corpo do webhook grande demais (máximo 3 MB)."


async def flood_check(redis: Redis, messages: list[InboundMessage], limit: int) -> frozenset[str]:
    """The wamids past their phone's per-minute allowance (a Redis counter per phone and minute)."""
    if not messages:
        return frozenset()
    minute = int(time.time() // 60)
    # MULTI/EXEC: each INCR lands with its EXPIRE or not at all, still in one round trip.
    async with redis.pipeline(transaction=True) as pipe:
        for m in messages:
            key = f"certobot:flood:{m.phone_key}:{minute}"
            pipe.incr(key)
            pipe.expire(key, 120)
        counts = (await pipe.execute())[::2]
    over = frozenset(m.wamid for m, n in zip(messages, counts, strict=True) if int(n) > limit)
    if over:
        log.warning("phone_throttled", messages=len(over))
    return over


@router.get("/webhooks/whatsapp", response_class=PlainTextResponse, summary="Verificação do webhook (Meta)")
async def verify_webhook(
    resources: ResourcesDep,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=50)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=500)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=500)] = None,
) -> PlainTextResponse:
    expected = resources.settings.whatsapp_verify_token
    ok = (
        mode == "subscribe"
        and expected is not None
        and token is not None
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    )
    if not ok:
        raise Forbidden()
    return PlainTextResponse(challenge or "")


@router.post("/webhooks/whatsapp", summary="Eventos da WhatsApp Cloud API (mensagens e status)")
async def receive(request: Request, resources: ResourcesDep) -> dict[str, int | str]:
    started = time.perf_counter()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise TooLarge()
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise TooLarge()
    secret = resources.settings.webhook_secret
    if secret is None or not verify(raw, request.headers.get("x-hub-signature-256"), secret):
        raise BadSignature()
    try:
        body = WebhookBody.model_validate(json.loads(raw))
    except (ValueError, ValidationError):
        raise BadBody() from None
    messages = inbound_messages(body)
    for err in system_errors(body):
        log.warning("whatsapp_system_error", code=err.code, title=err.title)
    flooded = await flood_check(resources.redis, messages, resources.settings.flood_limit_per_minute)
    async with resources.sessionmaker() as session, session.begin():
        fresh = await store_messages(session, messages, flooded)
        applied = await store_statuses(session, statuses(body))
    # Committed: from here a crash loses nothing (the sweeper re-announces what was stored).
    try:
        await announce(resources.redis, fresh)
    except Exception:
        log.exception("announce_failed")
    WEBHOOK_LATENCY.observe(time.perf_counter() - started)
    return {"status": "ok", "messages": len(fresh), "statuses": applied}
