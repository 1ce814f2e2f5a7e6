"""The simulator: chat as a seeded debtor in a browser, through the same signed webhook as Meta.

Served only in sandbox mode (no WhatsApp token): whatever the bot and the CRM "send" lands in the
sandbox (`certobot.whatsapp.sandbox`), and the page shows it like a phone screen.
"""

from __future__ import annotations

import json
import time
import uuid
from importlib.resources import files
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from certobot.conversations.service import CrmDown
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.deps import RedisDep, ResourcesDep
from certobot.whatsapp.sandbox import SENT
from certobot.whatsapp.signature import sign
from certokit.errors import NotFound
from certokit.phones import phone_key, to_e164

router = APIRouter(prefix="/simulator", tags=["simulador"], include_in_schema=False)
TYPED = "certobot:sandbox:typed:"


class SandboxOnly(NotFound):
    detail = "O simulador só existe no modo sandbox (sem WHATSAPP_ACCESS_TOKEN)."


class Chat(BaseModel):
    phone: Annotated[str, Field(max_length=30)]


class Typed(BaseModel):
    phone: Annotated[str, Field(max_length=30)]
    text: Annotated[str, Field(min_length=1, max_length=2000)]


def _check(resources: Any) -> None:
    if not resources.settings.whatsapp_sandbox:
        raise SandboxOnly()


@router.get("", response_class=HTMLResponse)
async def page(resources: ResourcesDep) -> HTMLResponse:
    _check(resources)
    return HTMLResponse(files("certobot.static").joinpath("simulator.html").read_text(encoding="utf-8"))


@router.get("/api/debtors")
async def debtors(resources: ResourcesDep) -> list[dict[str, Any]]:
    _check(resources)
    s = resources.settings
    crm = CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)
    try:
        items, _ = await crm.list_debtors(1, 200)
    except CrmUnavailable:
        raise CrmDown() from None
    return [
        {
            "name": d.name,
            "phone": d.phone,
            "cpf_hint": d.cpf[:3],
            "debt": f"{d.debt_amount:.2f}",
            "days_past_due": d.days_past_due,
        }
        for d in items
    ]


@router.post("/api/send")
async def send(data: Typed, request: Request, resources: ResourcesDep, redis: RedisDep) -> dict[str, str]:
    """Build the Cloud API body a real phone would cause, sign it, and post it to our own webhook."""
    _check(resources)
    e164 = to_e164(data.phone) or data.phone
    wa = e164.lstrip("+")
    wamid = "wamid.SIM" + uuid.uuid4().hex.upper()
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "sandbox",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "5511999990000", "phone_number_id": "sandbox"},
                            "contacts": [{"profile": {"name": "Simulador"}, "wa_id": wa}],
                            "messages": [
                                {
                                    "from": wa,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": data.text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    secret = resources.settings.webhook_secret or ""
    await redis.rpush(TYPED + (phone_key(wa) or wa), json.dumps({"text": data.text, "at": time.time()}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=request.app), base_url="http://self") as me:
        r = await me.post(
            "/webhooks/whatsapp",
            content=raw,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, secret)},
        )
    return {"status": "ok" if r.status_code == 200 else f"erro {r.status_code}", "wamid": wamid}


@router.post("/api/messages")
async def messages(data: Chat, resources: ResourcesDep, redis: RedisDep) -> list[dict[str, Any]]:
    """The chat as the phone shows it: what the person typed and what reached them, in time order.

    A POST that only reads: the phone goes in the body, never in a URL an access log or proxy keeps."""
    _check(resources)
    key = phone_key(data.phone) or data.phone
    out: list[dict[str, Any]] = [
        {"from": "me", "text": t["text"], "at": t["at"]}
        for t in (json.loads(x) for x in await redis.lrange(TYPED + key, 0, -1))
    ]
    for record in (json.loads(x) for x in await redis.lrange(SENT, 0, -1)):
        if record.get("key") != key:
            continue
        b = record["body"]
        item: dict[str, Any] = {"from": "bot", "at": record["at"], "type": b.get("type")}
        if b.get("type") == "text":
            item["text"] = b["text"]["body"]
        elif b.get("type") == "document":
            doc = b["document"]
            item["text"] = doc.get("caption", "")
            item["document"] = {"filename": doc.get("filename"), "url": f"/sandbox/v25.0/media/{doc.get('id')}"}
        elif b.get("type") == "template":
            item["text"] = "[modelo aprovado] " + b["template"]["name"]
        else:
            item["text"] = json.dumps(b, ensure_ascii=False)
        out.append(item)
    return sorted(out, key=lambda m: m["at"])
