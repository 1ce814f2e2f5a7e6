"""The WhatsApp channel as one interface, whatever carries it: Meta's Cloud API or a WAHA server.

Everything past this seam is provider-free. Outbound, the internal message is the Cloud API's
message object (`{"type": "text", "text": {...}}`, `template`, `document`, `image`, `interactive`):
that is what the outbox stores, and each provider turns it into its own call. Inbound, each
provider's webhook ends in `Inbound`: debtor messages as `InboundMessage` (deduplicated by their id
in `inbound_events`), delivery/read statuses as `Status` (moving the stored message along), and the
health of the channel's session where the provider has one.

`WHATSAPP_PROVIDER=meta|waha` chooses the implementation, for the bot and the CRM alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from certobot.whatsapp.schemas import InboundMessage, Status, WebhookBody, inbound_messages, statuses
from certobot.whatsapp.signature import verify
from certokit.graph import GraphClient, GraphError, SendResult

__all__ = ["Inbound", "MetaProvider", "Provider", "ProviderError", "SendResult", "opening_text"]

# The opening message where the channel has no approved templates (WAHA): the same words the
# approved template `WHATSAPP_OPENING_TEMPLATE` carries, with its two body parameters.
OPENING_TEXT = "Olá, {0}! Aqui é a {1}. Para sua segurança, responda com os 3 primeiros dígitos do seu CPF."


def opening_text(params: list[str]) -> str:
    first, creditor = [*params, "", ""][:2]
    return OPENING_TEXT.format(first or "tudo bem", creditor)


class ProviderError(Exception):
    """A send the provider refused or could not take. `retryable` only when it cannot have been
    delivered (connection refused, 429, documented transient codes): one retry layer, the outbox."""

    def __init__(
        self,
        status: int,
        code: int | str | None,
        message: str,
        *,
        retryable: bool,
        outside_window: bool = False,
    ) -> None:
        super().__init__(f"WhatsApp {status} code={code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.outside_window = outside_window

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": self.message}

    @classmethod
    def from_graph(cls, exc: GraphError) -> ProviderError:
        return cls(exc.status, exc.code, exc.message, retryable=exc.retryable, outside_window=exc.outside_window)


@dataclass(frozen=True)
class Inbound:
    """What one webhook POST carried, in the bot's own terms."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    session_status: str | None = None


class Provider(Protocol):
    """One WhatsApp number, as both services use it."""

    name: str
    account_id: str  # keys the per-number rate limiter

    # --- receiving ------------------------------------------------------------------------------
    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """Whether a webhook POST is authentic (its signature over the exact bytes received)."""
        ...

    def parse(self, raw: bytes) -> Inbound:
        """The webhook body in the bot's terms; ValueError when it is not this provider's JSON."""
        ...

    # --- sending --------------------------------------------------------------------------------
    async def pace(self, to: str, message: dict[str, Any]) -> None:
        """Wait (or raise a retryable ProviderError) as the number's safety requires before a send."""
        ...

    async def send(self, to: str, message: dict[str, Any]) -> SendResult:
        """Send one internal (Cloud API-shaped) message; a template is sent as text where there are none."""
        ...

    async def send_text(self, to: str, text: str) -> SendResult: ...

    async def send_document(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "application/pdf"
    ) -> SendResult: ...

    async def send_image(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "image/jpeg"
    ) -> SendResult: ...

    async def send_opening(self, to: str, name: str, language: str, params: list[str]) -> SendResult:
        """The approved template where there are templates (Meta); its words as text where not (WAHA)."""
        ...

    async def session_status(self) -> str | None:
        """The channel's session state where it has one (WAHA: WORKING, SCAN_QR_CODE…); None for Meta."""
        ...


class MetaProvider:
    """Meta's Cloud API through the one GraphClient; errors become ProviderError."""

    name = "meta"

    def __init__(self, graph: GraphClient, app_secret: str | None = None) -> None:
        self.graph = graph
        self.account_id = graph.phone_number_id
        self._secret = app_secret

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        return self._secret is not None and verify(raw, headers.get("x-hub-signature-256"), self._secret)

    def parse(self, raw: bytes) -> Inbound:
        body = WebhookBody.model_validate(json.loads(raw))
        return Inbound(messages=inbound_messages(body), statuses=statuses(body))

    async def pace(self, to: str, message: dict[str, Any]) -> None:
        return None  # Meta's own limits are kept by the sender's per-second limiter

    async def send(self, to: str, message: dict[str, Any]) -> SendResult:
        try:
            return await self.graph.send(to, message)
        except GraphError as exc:
            raise ProviderError.from_graph(exc) from exc

    async def send_text(self, to: str, text: str) -> SendResult:
        try:
            return await self.graph.send_text(to, text)
        except GraphError as exc:
            raise ProviderError.from_graph(exc) from exc

    async def send_document(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "application/pdf"
    ) -> SendResult:
        try:
            media_id = await self.graph.upload_media(data, filename, mime_type)
            return await self.graph.send_document(to, media_id, filename, caption)
        except GraphError as exc:
            raise ProviderError.from_graph(exc) from exc

    async def send_image(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "image/jpeg"
    ) -> SendResult:
        try:
            media_id = await self.graph.upload_media(data, filename, mime_type)
            return await self.graph.send(to, {"type": "image", "image": {"id": media_id, "caption": caption}})
        except GraphError as exc:
            raise ProviderError.from_graph(exc) from exc

    async def send_opening(self, to: str, name: str, language: str, params: list[str]) -> SendResult:
        try:
            return await self.graph.send_template(to, name, language, params)
        except GraphError as exc:
            raise ProviderError.from_graph(exc) from exc

    async def session_status(self) -> str | None:
        return None
