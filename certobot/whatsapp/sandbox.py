"""A stand-in for the Graph API when no WhatsApp token is set: same wire format, nothing leaves.

The bot's own Graph client points here (in-process); the CRM reaches it over HTTP through
WHATSAPP_SANDBOX_URL. What is "sent" is kept in Redis for the simulator page to show.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, UploadFile
from pydantic import BaseModel, Field

from certobot.deps import RedisDep
from certokit.phones import phone_key

router = APIRouter(prefix="/sandbox/v25.0", tags=["sandbox"], include_in_schema=False)

SENT = "certobot:sandbox:sent"
MEDIA = "certobot:sandbox:media:"


@router.post("/{phone_number_id}/messages")
async def send(phone_number_id: str, request: Request, redis: RedisDep) -> dict[str, Any]:
    body = await request.json()
    to = str(body.get("to", ""))
    if body.get("status") == "read":
        return {"success": True}
    wamid = "wamid.SANDBOX" + uuid.uuid4().hex.upper()
    record = {"wamid": wamid, "to": to, "key": phone_key(to), "body": body, "at": time.time()}
    await redis.rpush(SENT, json.dumps(record))
    await redis.ltrim(SENT, -5000, -1)
    return {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}


@router.post("/{phone_number_id}/media")
async def upload(phone_number_id: str, file: UploadFile, redis: RedisDep) -> dict[str, str]:
    data = await file.read()
    media_id = str(uuid.uuid4().int)[:16]
    await redis.set(MEDIA + media_id, data, ex=86_400)
    await redis.set(MEDIA + media_id + ":type", file.content_type or "application/octet-stream", ex=86_400)
    return {"id": media_id}


@router.get("/media/{media_id}")
async def media(media_id: str, redis: RedisDep) -> Response:
    data = await redis.get(MEDIA + media_id)
    if data is None:
        return Response(status_code=404)
    mime = await redis.get(MEDIA + media_id + ":type")
    # Whatever was uploaded is downloaded, never rendered on the console's origin (an HTML "boleto" included).
    return Response(
        data,
        media_type=(mime.decode() if isinstance(mime, bytes) else "application/pdf"),
        headers={"Content-Disposition": f'attachment; filename="{media_id}"', "X-Content-Type-Options": "nosniff"},
    )


class SentTo(BaseModel):
    phone: Annotated[str | None, Field(max_length=30)] = None


@router.post("/sent")
async def sent(redis: RedisDep, data: SentTo | None = None) -> list[dict[str, Any]]:
    """What the sandbox "delivered", to one phone or to all; the phone in the body, never in a URL."""
    rows = [json.loads(r) for r in await redis.lrange(SENT, 0, -1)]
    key = phone_key(data.phone) if data and data.phone else None
    return [r for r in rows if key is None or r.get("key") == key]
