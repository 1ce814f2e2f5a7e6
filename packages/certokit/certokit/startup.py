"""Refuse to start, in one line, when a setting is wrong.

Starlette reports a failing lifespan with a whole traceback; an operator who mistyped a variable
should read one sentence naming it instead. This ASGI wrapper loads the settings before the app's
lifespan runs and turns a `ConfigError` into that sentence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import AliasChoices, ValidationError
from pydantic_settings import BaseSettings
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certokit.heap import settle


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings, turning a validation error into one line that names the variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not err["loc"]:  # a rule across settings names its variable in its own message
            raise ConfigError(f"Configuração inválida: {msg}") from None
        name = _variable_named(cls, str(err["loc"][0]))
        raise ConfigError(f"Configuração inválida: {name}: {msg}") from None


def blank_is_unset(v: object) -> object:
    """An empty variable means "not set": compose writes `GROQ_API_KEY: ${GROQ_API_KEY:-}`, and a key of
    "" must not make every turn try Groq and fall back, nor an empty token leave the sandbox."""
    return None if isinstance(v, str) and not v.strip() else v


def _variable_named(cls: type[BaseSettings], loc: str) -> str:
    """The variable the operator actually set, when a setting has several names.

    `BOT_DATABASE_URL` and `DATABASE_URL` both feed one field; pydantic names the first choice, but
    the operator who mistyped `DATABASE_URL` should read `DATABASE_URL`.
    """
    for field in cls.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices) and loc in alias.choices:
            names = [c for c in alias.choices if isinstance(c, str)]
            return next((n.upper() for n in names if n.upper() in os.environ or n.lower() in os.environ), loc.upper())
    return loc.upper()


class SettingsGate:
    """The served app (`uvicorn certobot.main:app`): settings checked before its lifespan, the heap
    settled after it started."""

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
            await self.app(scope, receive, self._settled(send))
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _settled(send: Send) -> Send:
        """The served app's startup, then the heap settled (certokit.heap) before the first request."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                settle()
            await send(message)

        return wrapped
