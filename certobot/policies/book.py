"""The policies every process keeps in memory, so a conversation turn resolves its policy without a query.

Why a cache and not "resolve once per conversation and keep it in the session": a collections firm
that tightens (or loosens) a creditor's policy expects the very next offer to follow it, also in
conversations already under way; a policy frozen in the session would go on offering yesterday's
terms for as long as the debtor keeps talking. The table is tiny (a few rows per creditor), so every
process holds all of it. It is reloaded when the table changes — a trigger NOTIFYs
`certobot_policies` at COMMIT, and the process that made the edit reloads at once — and every few
minutes regardless (a lost notification, SQLite). An offer already accepted is never touched: it is
stored with the agreement, and only offers still to be shown (or confirmed) consult the policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.policies import repository
from certobot.policies.rules import NegotiationPolicy, resolve
from certokit import wakeup
from certokit.db import transaction
from certokit.logging import get_logger

log = get_logger("certobot.policies")


class PolicyBook:
    def __init__(self, policies: Iterable[NegotiationPolicy] = ()) -> None:
        self._policies: tuple[NegotiationPolicy, ...] = tuple(policies)
        self.loaded = asyncio.Event()

    @property
    def policies(self) -> tuple[NegotiationPolicy, ...]:
        return self._policies

    def replace(self, policies: Iterable[NegotiationPolicy]) -> None:
        self._policies = tuple(policies)  # one assignment: a turn sees the old set or the new, never half
        self.loaded.set()

    def resolve(self, creditor: str, days_past_due: int, amount_cents: int) -> NegotiationPolicy:
        return resolve(self._policies, creditor, days_past_due, amount_cents)

    async def reload(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        async with transaction(sessionmaker) as db:
            rows = await repository.all_rows(db)
            policies = [repository.to_policy(r) for r in rows]
        self.replace(policies)
        log.info("policies_loaded", count=len(policies))


async def try_reload(book: PolicyBook, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Reload, or keep what we have and say so. Called once before the first turn (no message waiting at
    startup meets the built-in default), after each edit, on NOTIFY and on the slow timer."""
    try:
        await book.reload(sessionmaker)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("policies_reload_failed", error=type(exc).__name__)  # keep_fresh tries again


async def keep_fresh(
    book: PolicyBook,
    sessionmaker: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    wake: asyncio.Event,
    every: float,
) -> None:
    """Reload now, then on every NOTIFY and at least every `every` seconds, until `stop`."""
    while not stop.is_set():
        # Postgres away: keep the policies we have (the last ones loaded) and try again later.
        await try_reload(book, sessionmaker)
        await wakeup.wait(wake, stop, every)
