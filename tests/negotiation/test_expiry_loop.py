"""The expiry loop: a burst of new conversations costs no statement; a deadline that comes still ends
its conversation.

The loop's statements are the functions it calls (`next_deadline`, `expire_due`); they are replaced
by recorders here so the test reads what the loop asked of the database and when.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from certobot.negotiation import expiry
from certokit.clock import FixedClock

TIMEOUT = timedelta(minutes=30)


async def test_new_conversations_do_not_make_the_loop_look_again_until_a_deadline_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    oldest = clock.now() + TIMEOUT  # the one active conversation's deadline
    lookups: list[datetime] = []
    expired: list[datetime] = []

    async def next_deadline(resources: Any, flow: Any) -> datetime | None:
        lookups.append(clock.now())
        return oldest if not expired else None

    async def expire_due(resources: Any, flow: Any) -> list[str]:
        expired.append(clock.now())
        return ["c1"]

    monkeypatch.setattr(expiry, "next_deadline", next_deadline)
    monkeypatch.setattr(expiry, "expire_due", expire_due)
    resources = SimpleNamespace(clock=clock, settings=SimpleNamespace(background_poll_seconds=60))
    wake, stop = asyncio.Event(), asyncio.Event()
    loop = asyncio.create_task(expiry.run_expiry_loop(resources, None, stop, wake, fallback=60))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.05)
        assert lookups == [clock.now()]
        for _ in range(50):  # fifty debtors write first: fifty notices of a conversation become active
            clock.advance(timedelta(seconds=1))
            wake.set()
            await asyncio.sleep(0.002)
        assert len(lookups) == 1  # each new deadline is a whole timeout away: none can be earlier
        assert expired == []

        clock.set(oldest + timedelta(seconds=1))  # the first conversation's deadline has passed
        wake.set()
        for _ in range(100):
            if expired:
                break
            await asyncio.sleep(0.01)
        assert expired == [oldest + timedelta(seconds=1)]
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
