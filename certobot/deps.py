"""Dependencies of the bot's routes, declared once as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.auth import check_bearer
from certobot.clock import Clock
from certobot.config import BotSettings
from certobot.db import transaction
from certobot.resources import Resources
from certobot.security.throttle import throttled


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings(resources: ResourcesDep) -> BotSettings:
    return resources.settings


SettingsDep = Annotated[BotSettings, Depends(get_settings)]


def get_clock(resources: ResourcesDep) -> Clock:
    return resources.clock


ClockDep = Annotated[Clock, Depends(get_clock)]


def get_redis(resources: ResourcesDep) -> Redis:
    return resources.redis


RedisDep = Annotated[Redis, Depends(get_redis)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    async with transaction(resources.sessionmaker) as session:
        yield session


# scope="function": committed before the response leaves, so a 200/202 means stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def require_operator(
    request: Request,
    resources: ResourcesDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    settings = resources.settings
    await throttled(
        resources.redis,
        request.client.host if request.client else "?",
        lambda: check_bearer(authorization, settings.certobot_api_key),
        max_failures=settings.auth_max_failures,
        window_seconds=settings.auth_failure_window_seconds,
    )


OperatorKey = Depends(require_operator)
