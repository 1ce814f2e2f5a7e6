"""Dependencies of the bot's routes, declared once as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.config import BotSettings
from certobot.operators.auth import check_role, identify
from certobot.operators.roles import Principal, Role
from certobot.resources import Resources
from certobot.security.throttle import throttled
from certokit.clock import Clock
from certokit.db import transaction


# These look-ups are `async def` although they await nothing: FastAPI runs a plain `def` dependency
# in its thread pool, a thread hand-off on every request (the webhook's included) for an attribute read.
async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_settings(resources: ResourcesDep) -> BotSettings:
    return resources.settings


SettingsDep = Annotated[BotSettings, Depends(get_settings)]


async def get_clock(resources: ResourcesDep) -> Clock:
    return resources.clock


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_redis(resources: ResourcesDep) -> Redis:
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
    db: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """A person's token or the service key; wrong ones are throttled per client."""
    settings = resources.settings
    return await throttled(
        resources.redis,
        request.client.host if request.client else "?",
        lambda: identify(db, settings, authorization, resources.clock.now()),
        max_failures=settings.auth_max_failures,
        window_seconds=settings.auth_failure_window_seconds,
    )


PrincipalDep = Annotated[Principal, Depends(require_operator)]
OperatorKey = Depends(require_operator)


def require_role(role: Role) -> Any:
    """A route dependency: the caller's role must be at least `role` (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        check_role(principal, role)
        return principal

    return Depends(check)
