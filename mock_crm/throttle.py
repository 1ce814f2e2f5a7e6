"""Wrong API keys are throttled per client, counted in Postgres (the CRM has no Redis).

One row per client and fixed window, bumped by one upsert per wrong key. Past `AUTH_MAX_FAILURES`
in a window every call from that client gets 429 with Retry-After until the window ends, the right
key included, so a guesser learns nothing from the answers meanwhile (as the bot does in Redis,
certobot.security.throttle). The counts commit in their own short transaction: the request's own
rolls back with the 401.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.exceptions import HTTPException

from certokit.db import dialect_of, one_statement, transaction
from certokit.logging import get_logger
from mock_crm.base import CrmBase

log = get_logger("mock_crm.security")


class AuthFailure(CrmBase):
    """Wrong keys from one client in one window (`window_start`, seconds since the epoch)."""

    __tablename__ = "crm_auth_failures"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


def window_of(now: datetime, window_seconds: int) -> tuple[int, int]:
    """(start of the window `now` falls in, seconds until it ends)."""
    ts = int(now.timestamp())
    start = ts - ts % window_seconds
    return start, max(1, start + window_seconds - ts)


async def refuse_if_throttled(
    sessionmaker: async_sessionmaker[AsyncSession], client: str, now: datetime, *, max_failures: int, window: int
) -> None:
    """429 when this client already spent its wrong keys in the current window."""
    start, left = window_of(now, window)
    async with one_statement(sessionmaker) as conn:  # every request passes here: one round trip
        failures = await conn.scalar(
            select(AuthFailure.failures).where(AuthFailure.client == client, AuthFailure.window_start == start)
        )
    if failures is not None and failures >= max_failures:
        # The shared handler words it in Portuguese ("Muitas requisições; tente novamente em instantes.").
        raise HTTPException(429, headers={"Retry-After": str(left)})


async def count_failure(
    sessionmaker: async_sessionmaker[AsyncSession], client: str, now: datetime, *, max_failures: int, window: int
) -> None:
    """One wrong key: a single upsert; the first of a window also clears windows long gone."""
    start, _ = window_of(now, window)
    async with transaction(sessionmaker) as db:
        insert = pg_insert if dialect_of(db) == "postgresql" else sqlite_insert
        upsert = (
            insert(AuthFailure)
            .values(client=client, window_start=start, failures=1)
            .on_conflict_do_update(
                index_elements=["client", "window_start"], set_={"failures": AuthFailure.failures + 1}
            )
            .returning(AuthFailure.failures)
        )
        count = (await db.execute(upsert)).scalar_one()
        if count == 1:
            await db.execute(delete(AuthFailure).where(AuthFailure.window_start < start - window))
    if count == max_failures:
        log.warning("auth_throttled", window_seconds=window)
