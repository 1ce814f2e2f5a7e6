""" "Everything to people": while on, every new message goes to a person instead of the bot.

The turn asks `SwitchCache.handoff_all` on every message, so the answer is kept in the process and
read again only when it may have changed: when the switch's NOTIFY sets `stale` (certokit.wakeup,
channel `certobot_switches`), when this process flipped it, or after `ttl` seconds (a notification
lost while the listener reconnected, or SQLite, where there is none).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.review.models import Switch
from certokit.db import dialect_of

HANDOFF_ALL = "handoff_all"


async def read_switch(db: AsyncSession, name: str = HANDOFF_ALL) -> Switch | None:
    return await db.get(Switch, name)


async def set_switch(db: AsyncSession, on: bool, actor: str, now: datetime, name: str = HANDOFF_ALL) -> Switch:
    insert = pg_insert if dialect_of(db) == "postgresql" else sqlite_insert
    stmt = insert(Switch).values(name=name, on=on, changed_by=actor, changed_at=now)
    changes = {"on": on, "changed_by": actor, "changed_at": now}
    await db.execute(stmt.on_conflict_do_update(index_elements=[Switch.name], set_=changes))
    row = await db.scalar(select(Switch).where(Switch.name == name).execution_options(populate_existing=True))
    assert row is not None  # just written in this transaction
    return row


class SwitchCache:
    def __init__(self, ttl: float = 30.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.monotonic = monotonic
        self.stale = asyncio.Event()  # replaced by the worker's wake-up event for `certobot_switches`
        self._value: bool | None = None
        self._read_at = 0.0

    async def handoff_all(self, db: AsyncSession) -> bool:
        if self._value is None or self.stale.is_set() or self.monotonic() - self._read_at > self.ttl:
            self.stale.clear()
            row = await read_switch(db)
            self._value = bool(row and row.on)
            self._read_at = self.monotonic()
        return self._value

    async def handoff_all_via(self, engine: AsyncEngine | None) -> bool:
        """The same, for a turn that holds no session: a short read of its own, only when stale."""
        if engine is None:  # a flow built without a database (unit tests): the switch is off
            return bool(self._value)
        if self._value is None or self.stale.is_set() or self.monotonic() - self._read_at > self.ttl:
            async with AsyncSession(engine) as db:
                return await self.handoff_all(db)
        return self._value

    def forget(self) -> None:
        """This process flipped the switch: the next turn reads it again."""
        self._value = None
