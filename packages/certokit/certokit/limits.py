"""Request bodies are capped while they stream in, before anything parses or authenticates them.

A route that calls `request.body()` (or FastAPI parsing JSON) reads everything the client sends
into memory; a chunked upload has no Content-Length to refuse up front. This pure ASGI middleware
counts the bytes as `receive` hands them over and stops at the limit, so a 100 MB body costs at most
the limit plus one chunk, whatever route, key or signature it targets.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_MAX_BODY_BYTES = 3 * 1024 * 1024  # Meta's payloads stay under 3 MB
DETAIL = "Corpo da requisição grande demais (máximo {mb} MB)."


class BodyTooLarge(HTTPException):
    """An HTTPException so that FastAPI's body parsing re-raises it as it is instead of a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, DETAIL.format(mb=_mb(limit)))


def _mb(limit: int) -> str:
    return f"{limit / (1024 * 1024):.3g}".replace(".", ",")


def default_limit(scope: Scope) -> int:
    """Per path: Meta's webhook may carry up to 3 MB; the rest reads `app.state.max_body_bytes`."""
    if scope.get("path", "").startswith("/webhooks/"):
        return WEBHOOK_MAX_BODY_BYTES
    app = scope.get("app")
    state = getattr(app, "state", None)
    return int(getattr(state, "max_body_bytes", DEFAULT_MAX_BODY_BYTES))


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: Callable[[Scope], int] = default_limit) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # Raised where no exception handler runs (a plain ASGI route, a middleware): answer here.
            if not started:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": DETAIL.format(mb=_mb(limit))}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
