"""Refuse to start, in one line, when a setting is wrong.

Starlette reports a failing lifespan with a whole traceback; an operator who mistyped a variable
should read one sentence naming it instead. This ASGI wrapper loads the settings before the app's
lifespan runs and turns a `ConfigError` into that sentence.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from certobot.config import ConfigError


class SettingsGate:
    def __init__(self, app: ASGIApp, load: Callable[[], Any]) -> None:
        self.app = app
        self.load = load

    def __getattr__(self, name: str) -> Any:
        # Tests and tools reach through to the FastAPI app (openapi, routes, state).
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            try:
                self.load()
            except ConfigError as exc:
                await receive()  # lifespan.startup
                print(str(exc), file=sys.stderr)  # noqa: T201  (the one line the operator reads)
                await send({"type": "lifespan.startup.failed", "message": ""})
                return
        await self.app(scope, receive, send)
