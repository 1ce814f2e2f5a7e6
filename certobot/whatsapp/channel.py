"""`GET /api/whatsapp/channel`: which provider carries the number and whether its session works,
for the operators' console (a WAHA number waiting for its QR code sends nothing)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from certobot.deps import OperatorKey, ResourcesDep

router = APIRouter(prefix="/api/whatsapp", tags=["whatsapp"], dependencies=[OperatorKey])


class ChannelStatus(BaseModel):
    provider: str
    session: str | None
    status: str | None
    working: bool


@router.get("/channel", summary="Provedor do WhatsApp e estado da sessão")
async def channel(resources: ResourcesDep) -> ChannelStatus:
    provider = resources.provider
    if provider.name != "waha":
        return ChannelStatus(provider=provider.name, session=None, status=None, working=True)
    status = await provider.session_status()
    return ChannelStatus(
        provider=provider.name, session=resources.settings.waha_session, status=status, working=status == "WORKING"
    )
