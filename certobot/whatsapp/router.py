"""Meta's webhook: verification GET and the signed POST that must be answered fast and durably."""

from __future__ import annotations

import hmac
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ValidationError

from certobot.deps import ResourcesDep
from certobot.metrics import WEBHOOK_LATENCY
from certobot.resources import Resources
from certobot.whatsapp.intake import accept
from certobot.whatsapp.provider import Inbound
from certobot.whatsapp.schemas import WebhookBody, inbound_messages, statuses, system_errors
from certobot.whatsapp.signature import verify
from certokit.errors import DomainError, Unauthorized
from certokit.logging import get_logger

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


class Ack(BaseModel):
    status: str = "ok"
    messages: int
    statuses: int


@router.post(
    "/webhooks/whatsapp",
    summary="Eventos da WhatsApp Cloud API (mensagens e status)",
    response_model=Ack,
    responses={400: {"description": "Corpo inválido"}, 401: {"description": "Assinatura inválida"}},
)
async def receive(request: Request) -> Response:
    # The hot path, answered as fast as Meta can send: the resources read straight from the app (a
    # plain `def` dependency would cost a thread hop per webhook), the body parsed and validated in
    # one pass by pydantic-core, and the answer written as bytes (no response-model round trip).
    started = time.perf_counter()
    resources: Resources = request.app.state.resources
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
        # pydantic-core's parser refuses JSON nested past its recursion limit as a ValidationError.
        body = WebhookBody.model_validate_json(raw)
    except (ValueError, ValidationError, RecursionError):
        raise BadBody() from None
    for err in system_errors(body):
        log.warning("whatsapp_system_error", code=err.code, title=err.title)
    accepted = await accept(resources, Inbound(messages=inbound_messages(body), statuses=statuses(body)))
    WEBHOOK_LATENCY.observe(time.perf_counter() - started)
    return Response(
        b'{"status":"ok","messages":%d,"statuses":%d}' % (accepted.messages, accepted.statuses),
        media_type="application/json",
    )
