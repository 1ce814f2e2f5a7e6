"""WAHA's webhook events as typed models (WAHA `src/structures/webhooks.dto.ts`, `responses.dto.ts`).

Loose on purpose (`extra="allow"`): engines add fields, and an event kind we do not handle is
accepted and ignored, never a 500. `to_inbound` turns a WAHA message into the bot's
`InboundMessage`, with the same phone key as the Cloud API path (ninth digit or not).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from certobot.whatsapp.schemas import InboundMessage, Status
from certokit.phones import phone_key, to_e164

# WAMessageAck (WAHA enums.dto.ts): ERROR -1, PENDING 0, SERVER 1, DEVICE 2, READ 3, PLAYED 4.
ACK_STATUS = {-1: "failed", 1: "sent", 2: "delivered", 3: "read", 4: "read"}
# Chat ids of one person; groups (@g.us), broadcasts, channels and LIDs are not debtors we can key.
PERSONAL_SUFFIXES = ("@c.us", "@s.whatsapp.net")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class WahaMedia(_Loose):
    url: str | None = None
    mimetype: str | None = None
    filename: str | None = None


class WahaMessage(_Loose):
    id: str
    timestamp: int | None = None
    from_: str = Field(default="", alias="from")
    from_me: bool = Field(default=False, alias="fromMe")
    to: str | None = None
    body: str | None = None
    has_media: bool = Field(default=False, alias="hasMedia")
    media: WahaMedia | None = None
    ack: int | None = None
    data: dict[str, Any] | None = Field(default=None, alias="_data")


class WahaAck(_Loose):
    id: str
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    from_me: bool = Field(default=False, alias="fromMe")
    ack: int | None = None
    ack_name: str | None = Field(default=None, alias="ackName")


class WahaSessionStatus(_Loose):
    name: str | None = None
    status: str


class WahaEvent(_Loose):
    id: str | None = None
    timestamp: int | None = None
    event: str
    session: str | None = None
    engine: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


def _kind(m: WahaMessage) -> str:
    if not m.has_media:
        return "text" if (m.body or "").strip() else "unknown"
    mime = (m.media.mimetype if m.media else None) or ""
    for prefix, kind in (("image/", "image"), ("audio/", "audio"), ("video/", "video")):
        if mime.startswith(prefix):
            return kind
    return "document"


def _when(ts: int | None) -> datetime:
    if not ts:
        return datetime.now(UTC)
    # WAHA stamps seconds; some engines' fields are milliseconds.
    return datetime.fromtimestamp(ts / 1000 if ts > 10**11 else ts, tz=UTC)


def to_inbound(m: WahaMessage) -> InboundMessage | None:
    """A debtor's message in the bot's terms; None for what is not a person writing to us."""
    if m.from_me or not m.from_.endswith(PERSONAL_SUFFIXES):
        return None
    digits = "".join(c for c in m.from_.split("@")[0] if c.isdigit())
    if not digits:
        return None
    kind = _kind(m)
    notify = m.data.get("notifyName") if m.data else None
    return InboundMessage(
        wamid=m.id,
        wa_id=digits[:20],
        phone=to_e164(digits) or f"+{digits}",
        phone_key=phone_key(digits) or digits[:16],
        timestamp=_when(m.timestamp),
        kind=kind,
        # A caption on media is what the debtor wrote; the media itself is not read.
        text=m.body if (m.body and kind in ("text", "image", "document", "video")) else None,
        profile_name=notify if isinstance(notify, str) else None,
    )


def to_status(a: WahaAck) -> Status | None:
    """An ack of one of our messages as the delivery status the stored message moves to."""
    status = ACK_STATUS.get(a.ack) if a.ack is not None else None
    if status is None or not a.from_me:
        return None
    return Status(id=a.id, status=status, recipient_id=(a.to or "").split("@")[0] or None)
