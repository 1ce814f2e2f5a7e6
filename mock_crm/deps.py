"""Dependencies of the CRM's routes, declared once as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from certokit.auth import check_bearer
from certokit.clock import Clock, SystemClock
from certokit.db import one_statement, transaction
from certokit.errors import Unauthorized
from mock_crm.settings import CrmSettings
from mock_crm.throttle import ThrottleBoard, count_failure, refuse_if_throttled


# `async def` although they await nothing: FastAPI runs a plain `def` dependency in its thread pool,
# a thread hand-off on every request for an attribute read.
async def get_settings(request: Request) -> CrmSettings:
    settings: CrmSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[CrmSettings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the boundary commits (before the response) or rolls back."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with transaction(maker) as session:
        yield session


# scope="function": the commit happens before the response leaves, so a 201 means stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """For a read that is one statement: an autocommit connection, no BEGIN and COMMIT around it."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with one_statement(maker) as conn:
        yield conn


ReadDep = Annotated[AsyncConnection, Depends(get_read_connection, scope="function")]


async def require_key(
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """The API key, with wrong ones counted per client (mock_crm.throttle): 429 past the limit."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    client = request.client.host if request.client else "desconhecido"
    now = clock_of(request).now()
    board: ThrottleBoard | None = getattr(request.app.state, "throttle_board", None)
    max_failures, window = settings.auth_max_failures, settings.auth_failure_window_seconds
    await refuse_if_throttled(maker, client, now, max_failures=max_failures, window=window, board=board)
    try:
        check_bearer(authorization, settings.crm_api_key)
    except Unauthorized:
        await count_failure(maker, client, now, max_failures=max_failures, window=window, board=board)
        raise


ApiKey = Depends(require_key)


def clock_of(request: Request) -> Clock:
    """The CRM's clock: the system's, unless a test or simulation set `app.state.clock`."""
    clock: Clock | None = getattr(request.app.state, "clock", None)
    return clock or SystemClock()


async def get_clock(request: Request) -> Clock:
    return clock_of(request)


ClockDep = Annotated[Clock, Depends(get_clock)]


def today_in_sp(clock: Clock) -> date:
    return clock.now().astimezone(ZoneInfo("America/Sao_Paulo")).date()
