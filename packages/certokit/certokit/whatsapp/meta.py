"""Meta's Cloud API as a `ChannelSender`: the one GraphClient, its errors as `ProviderError`."""

from __future__ import annotations

from typing import Any

from certokit.whatsapp.channel import ProviderError
from certokit.whatsapp.graph import GraphClient, GraphError, Pace, SendResult, no_pace


def provider_error(exc: GraphError) -> ProviderError:
    return ProviderError(exc.status, exc.code, exc.message, retryable=exc.retryable, outside_window=exc.outside_window)


class MetaSender:
    name = "meta"

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph
        self.account_id = graph.phone_number_id

    async def pace(self, to: str, message: dict[str, Any]) -> None:
        return None  # Meta's own limits are kept by the sender's per-second limiter

    async def send(self, to: str, message: dict[str, Any], *, pace: Pace = no_pace) -> SendResult:
        try:
            return await self.graph.send(to, message, pace=pace)
        except GraphError as exc:
            raise provider_error(exc) from exc

    async def send_text(self, to: str, text: str) -> SendResult:
        try:
            return await self.graph.send_text(to, text)
        except GraphError as exc:
            raise provider_error(exc) from exc

    async def send_document(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "application/pdf"
    ) -> SendResult:
        try:
            media_id = await self.graph.upload_media(data, filename, mime_type)
            return await self.graph.send_document(to, media_id, filename, caption)
        except GraphError as exc:
            raise provider_error(exc) from exc

    async def send_image(
        self, to: str, data: bytes, filename: str, caption: str, mime_type: str = "image/jpeg"
    ) -> SendResult:
        try:
            media_id = await self.graph.upload_media(data, filename, mime_type)
            return await self.graph.send(to, {"type": "image", "image": {"id": media_id, "caption": caption}})
        except GraphError as exc:
            raise provider_error(exc) from exc

    async def send_opening(self, to: str, name: str, language: str, params: list[str]) -> SendResult:
        try:
            return await self.graph.send_template(to, name, language, params)
        except GraphError as exc:
            raise provider_error(exc) from exc

    async def session_status(self) -> str | None:
        return None
