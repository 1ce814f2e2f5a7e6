"""The channel seam: one WhatsApp number as a sender, whatever carries it (Meta's Cloud API or WAHA).

The internal message is the Cloud API's message object (`{"type": "text", "text": {...}}`,
`template`, `document`, `image`, `interactive`): what an outbox stores, and what each sender turns
into its own call.
"""

from __future__ import annotations

from typing import Any, Protocol

from certokit.whatsapp.graph import Pace, SendResult, no_pace

__all__ = ["OPENING_TEXT", "ChannelSender", "ProviderError", "SendResult", "opening_text"]

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


class ChannelSender(Protocol):
    """Sending on one WhatsApp number, as both services use it. Failures are `ProviderError`."""

    name: str
    account_id: str  # keys the per-number rate limiter

    async def pace(self, to: str, message: dict[str, Any]) -> None:
        """Wait (or raise a retryable ProviderError) as the number's safety requires before a send."""
        ...

    async def send(self, to: str, message: dict[str, Any], *, pace: Pace = no_pace) -> SendResult:
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
