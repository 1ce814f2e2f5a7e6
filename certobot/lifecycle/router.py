"""The CRM tells the bot about payments: signed with CRM_WEBHOOK_SECRET, stored before the 200."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ValidationError

from certobot.deps import ClockDep, SessionDep, SettingsDep
from certobot.lifecycle.schemas import PaymentEvent
from certobot.lifecycle.service import record_payment
from certokit.errors import Invalid, Unauthorized, error_responses

router = APIRouter(tags=["pós-acordo"])


class BadSignature(Unauthorized):
    detail = "Assinatura ausente ou inválida (X-Certobot-Signature: sha256=<hmac do corpo>)."


class BadEvent(Invalid):
    detail = "Evento de pagamento inválido."


class Accepted(BaseModel):
    status: Literal["accepted", "duplicate"]


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


@router.post(
    "/webhooks/crm/payments",
    response_model=Accepted,
    responses=error_responses(BadSignature, BadEvent),
    summary="O CRM informa um pagamento; o devedor recebe o recibo no WhatsApp",
)
async def payment_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    x_certobot_signature: Annotated[str | None, Header()] = None,
) -> Accepted:
    body = await request.body()
    if not signature_ok(body, x_certobot_signature, settings.crm_webhook_secret.get_secret_value()):
        raise BadSignature()
    try:
        event = PaymentEvent.model_validate_json(body)
    except ValidationError:
        raise BadEvent() from None
    fresh = await record_payment(session, event, settings, clock.now())
    return Accepted(status="accepted" if fresh else "duplicate")
