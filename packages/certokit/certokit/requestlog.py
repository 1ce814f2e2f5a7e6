"""One structured log line per request, with a request id (X-Request-ID in and out), no personal data."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certokit.logging import get_logger, scrub

log = get_logger("http")


def request_id_for(incoming: str) -> str:
    """The caller's id when it carries nothing a log must hide, else a new one.

    An id is echoed in the response header and written on every log line of the request, so it must
    read the same in both: a random hex id has a run of ten or more digits about one time in ten, which
    the log scrubber takes for a phone or CPF and masks, and the operator then cannot find the line.
    """
    if incoming and scrub(incoming) == incoming:
        return incoming
    while True:
        new = uuid.uuid4().hex
        if scrub(new) == new:
            return new


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode()[:64]
        request_id = request_id_for(incoming)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # Paths carry CPFs (/api/debtors/{cpf}): the logger scrubs them before writing.
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")
