"""The WhatsApp channel as the bot uses it: the kernel's sender plus the bot's own receiving side.

Sending (Meta's Cloud API or a WAHA server) lives in `certokit.whatsapp`, shared with the CRM.
Receiving is the bot's alone: each provider's webhook is verified and ends in `Inbound`, debtor
messages as `InboundMessage` (deduplicated by their id in `inbound_events`), delivery/read statuses
as `Status` (moving the stored message along), and the health of the channel's session where the
provider has one.

`WHATSAPP_PROVIDER=meta|waha` chooses the implementation, for the bot and the CRM alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from certobot.whatsapp.schemas import InboundMessage, Status, WebhookBody, inbound_messages, statuses
from certobot.whatsapp.signature import verify
from certokit.whatsapp.channel import ChannelSender
from certokit.whatsapp.graph import GraphClient
from certokit.whatsapp.meta import MetaSender

__all__ = ["Inbound", "MetaProvider", "Provider"]


@dataclass(frozen=True)
class Inbound:
    """What one webhook POST carried, in the bot's own terms."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    session_status: str | None = None


class Provider(ChannelSender, Protocol):
    """One WhatsApp number, as the bot uses it: the kernel's sending, and receiving."""

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """Whether a webhook POST is authentic (its signature over the exact bytes received)."""
        ...

    def parse(self, raw: bytes) -> Inbound:
        """The webhook body in the bot's terms; ValueError when it is not this provider's JSON."""
        ...


class MetaProvider(MetaSender):
    """Meta's Cloud API: the kernel's sender, and Meta's webhook (X-Hub-Signature-256) read."""

    def __init__(self, graph: GraphClient, app_secret: str | None = None) -> None:
        super().__init__(graph)
        self._secret = app_secret

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        return self._secret is not None and verify(raw, headers.get("x-hub-signature-256"), self._secret)

    def parse(self, raw: bytes) -> Inbound:
        body = WebhookBody.model_validate(json.loads(raw))
        return Inbound(messages=inbound_messages(body), statuses=statuses(body))
