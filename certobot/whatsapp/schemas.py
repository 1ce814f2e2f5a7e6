"""Meta's webhook payloads as typed models (WhatsApp Cloud API, "Webhooks" reference).

Everything a Cloud API POST may carry is modelled loosely (`extra="allow"`): a kind or field Meta
adds tomorrow is accepted and ignored, never a 500. `InboundMessage` is what the rest of the bot
sees of a debtor's message, whatever its kind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from certokit.phones import phone_key, to_e164


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


# A message's id (Meta's wamid): the key it is stored and deduplicated by. Meta's are printable text
# well under 512 characters; a NUL, which no Postgres text can hold, would fail the statement that
# stores it (and every body stored with it), so a body carrying one is refused as malformed.
WaId = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^[^\x00]+$")]


class Text(_Loose):
    body: str = ""


class Button(_Loose):
    text: str | None = None
    payload: str | None = None


class Reply(_Loose):
    id: str | None = None
    title: str | None = None
    description: str | None = None


class Interactive(_Loose):
    type: str | None = None
    button_reply: Reply | None = None
    list_reply: Reply | None = None


class Media(_Loose):
    id: str | None = None
    mime_type: str | None = None
    caption: str | None = None
    filename: str | None = None


class Context(_Loose):
    id: str | None = None
    from_: str | None = Field(default=None, alias="from")


class Reaction(_Loose):
    message_id: str | None = None
    emoji: str | None = None


class WaError(_Loose):
    code: int | None = None
    title: str | None = None
    message: str | None = None
    error_data: dict[str, Any] | None = None


class WaMessage(_Loose):
    from_: str = Field(alias="from")
    id: WaId
    timestamp: str
    type: str = "unknown"
    text: Text | None = None
    button: Button | None = None
    interactive: Interactive | None = None
    image: Media | None = None
    audio: Media | None = None
    video: Media | None = None
    document: Media | None = None
    sticker: Media | None = None
    location: dict[str, Any] | None = None
    contacts: list[dict[str, Any]] | None = None
    reaction: Reaction | None = None
    context: Context | None = None
    errors: list[WaError] | None = None


class Status(_Loose):
    id: WaId
    status: str
    timestamp: str | None = None
    recipient_id: str | None = None
    errors: list[WaError] | None = None
    # Echoed from the send request (at most 512 characters): the bot's sends name their outbox row.
    biz_opaque_callback_data: str | None = None


class Profile(_Loose):
    name: str | None = None


class Contact(_Loose):
    wa_id: str | None = None
    profile: Profile | None = None


class Metadata(_Loose):
    display_phone_number: str | None = None
    phone_number_id: str | None = None


class Value(_Loose):
    messaging_product: str | None = None
    metadata: Metadata | None = None
    contacts: list[Contact] = Field(default_factory=list)
    messages: list[WaMessage] = Field(default_factory=list)
    statuses: list[Status] = Field(default_factory=list)
    errors: list[WaError] = Field(default_factory=list)


class Change(_Loose):
    field: str | None = None
    value: Value = Field(default_factory=Value)


class Entry(_Loose):
    id: str | None = None
    changes: list[Change] = Field(default_factory=list)


class WebhookBody(_Loose):
    object: str | None = None
    entry: list[Entry] = Field(default_factory=list)


class InboundMessage(BaseModel):
    """A debtor's message, whatever WhatsApp kind it came as."""

    wamid: str
    wa_id: str
    phone: str
    phone_key: str
    timestamp: datetime
    kind: str
    text: str | None = None
    payload: str | None = None
    context_id: str | None = None
    profile_name: str | None = None


def _when(ts: str | None) -> datetime:
    try:
        return datetime.fromtimestamp(int(ts or 0), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def to_inbound(msg: WaMessage, profile_name: str | None = None) -> InboundMessage:
    text: str | None = None
    payload: str | None = None
    if msg.type == "text" and msg.text is not None:
        text = msg.text.body
    elif msg.type == "button" and msg.button is not None:
        # A tap on a template quick-reply button.
        text, payload = msg.button.text, msg.button.payload
    elif msg.type == "interactive" and msg.interactive is not None:
        reply = msg.interactive.button_reply or msg.interactive.list_reply
        if reply is not None:
            text, payload = reply.title, reply.id
    e164 = to_e164(msg.from_)
    digits = "".join(c for c in msg.from_ if c.isdigit())
    return InboundMessage(
        wamid=msg.id,
        wa_id=digits,
        phone=e164 or f"+{digits}",
        # Foreign numbers have no ninth-digit ambiguity: their digits are their key.
        phone_key=phone_key(msg.from_) or digits[:16],
        timestamp=_when(msg.timestamp),
        kind=msg.type,
        text=text,
        payload=payload,
        context_id=msg.context.id if msg.context else None,
        profile_name=profile_name,
    )


def inbound_messages(body: WebhookBody) -> list[InboundMessage]:
    out: list[InboundMessage] = []
    for entry in body.entry:
        for change in entry.changes:
            names = {c.wa_id: (c.profile.name if c.profile else None) for c in change.value.contacts}
            for m in change.value.messages:
                out.append(to_inbound(m, names.get(m.from_)))
    return out


def statuses(body: WebhookBody) -> list[Status]:
    return [s for e in body.entry for c in e.changes for s in c.value.statuses]


def system_errors(body: WebhookBody) -> list[WaError]:
    return [err for e in body.entry for c in e.changes for err in c.value.errors]
