"""`POST /webhooks/waha`: WAHA's events, signed with its HMAC, answered once they are stored."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from certobot.deps import ResourcesDep
from certobot.metrics import WEBHOOK_LATENCY
from certobot.whatsapp.intake import accept
from certokit.errors import DomainError, Unauthorized
from certokit.logging import get_logger
from certokit.whatsapp.waha.sender import remember_session_status

router = APIRouter(tags=["whatsapp"])
log = get_logger("certobot.webhook.waha")

MAX_BODY = 3 * 1024 * 1024  # text events are small; media comes by URL, never in the body


class NotWaha(DomainError):
    status_code = 404
    detail = "Webhook do WAHA desativado: o provedor configurado (WHATSAPP_PROVIDER) não é waha."


class BadHmac(Unauthorized):
    detail = "Assinatura X-Webhook-Hmac ausente ou inválida."


class BadEvent(DomainError):
    status_code = 400
    detail = "Corpo do webhook inválido: esperado um evento JSON do WAHA."


class TooLarge(DomainError):
    status_code = 413
    detail = "Corpo do webhook grande demais (máximo 3 MB)."


@router.post(
    "/webhooks/waha",
    summary="Eventos do WAHA (message, message.any, message.ack, session.status)",
    responses={401: {"description": "Assinatura inválida"}, 404: {"description": "Provedor não é o WAHA"}},
)
async def receive(request: Request, resources: ResourcesDep) -> dict[str, int | str]:
    started = time.perf_counter()
    provider = resources.provider
    if provider.name != "waha":
        raise NotWaha()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise TooLarge()
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise TooLarge()
    if not provider.verify(raw, request.headers):
        raise BadHmac()
    try:
        inbound = provider.parse(raw)
    except ValueError:
        raise BadEvent() from None
    if inbound.session_status is not None:
        await remember_session_status(resources.redis, resources.settings.waha_session, inbound.session_status)
        if inbound.session_status != "WORKING":
            log.warning("waha_session_down", status=inbound.session_status)
    accepted = await accept(resources, inbound)
    WEBHOOK_LATENCY.observe(time.perf_counter() - started)
    return {"status": "ok", "messages": accepted.messages, "statuses": accepted.statuses}
