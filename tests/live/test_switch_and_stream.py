"""The switch is read from the process's memory on every message, and the live stream's wire format."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.live.feed import Event, LiveFeed, parse
from certobot.live.router import stream
from certobot.live.switch import SwitchCache, set_switch
from tests.counting import counting


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestSwitchCache:
    async def test_read_once_then_kept_until_notified_or_stale(
        self, db: AsyncSession, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        clock = Clock()
        cache = SwitchCache(ttl=30.0, monotonic=clock)
        with counting(engine, monkeypatch) as tally:
            assert await cache.handoff_all(db) is False  # never set: off
            for _ in range(50):  # fifty messages, no statement
                assert await cache.handoff_all(db) is False
        assert len(tally.statements) == 1

        await set_switch(db, True, "bia.supervisora", datetime.now(UTC))
        assert await cache.handoff_all(db) is False  # not told yet
        cache.stale.set()  # the NOTIFY of certobot_switches
        assert await cache.handoff_all(db) is True
        assert not cache.stale.is_set()

        await set_switch(db, False, "bia.supervisora", datetime.now(UTC))
        clock.now += 31  # a lost notification: the slow refresh catches up
        assert await cache.handoff_all(db) is False
        await db.rollback()

    async def test_forget_after_flipping_it_here(self, db: AsyncSession) -> None:
        cache = SwitchCache()
        assert await cache.handoff_all(db) is False
        await set_switch(db, True, "admin", datetime.now(UTC))
        cache.forget()
        assert await cache.handoff_all(db) is True
        await db.rollback()


class FakeRequest:
    def __init__(self) -> None:
        self.gone = False

    async def is_disconnected(self) -> bool:
        return self.gone


class TestStream:
    def test_payloads(self) -> None:
        assert parse("c:9b1d-uuid") == Event("conversation", "9b1d-uuid")
        assert parse("s:handoff_all") == Event("switch", "handoff_all")
        assert parse("") is None
        assert parse("x:1") is None

    async def test_events_heartbeats_and_unsubscribe_on_disconnect(self) -> None:
        feed = LiveFeed("sqlite+aiosqlite:///:memory:", sessionmaker=None)  # type: ignore[arg-type]
        feed._task = asyncio.get_running_loop().create_future()  # type: ignore[assignment]  # no source needed
        request = FakeRequest()
        out = stream(request, feed, heartbeat=0.05)  # type: ignore[arg-type]
        assert (await anext(out)).startswith("retry: 3000\n")
        assert len(feed.subscribers) == 1
        feed.publish(Event("conversation", "abc"))
        assert await anext(out) == 'event: conversation\ndata: {"id": "abc"}\n\n'
        assert await anext(out) == ": ping\n\n"  # nothing happened for a heartbeat's time
        request.gone = True
        with pytest.raises(StopAsyncIteration):
            await anext(out)
        assert feed.subscribers == set()

    async def test_a_browser_far_behind_is_told_to_reload(self) -> None:
        feed = LiveFeed("sqlite+aiosqlite:///:memory:", sessionmaker=None)  # type: ignore[arg-type]
        feed._task = asyncio.get_running_loop().create_future()  # type: ignore[assignment]
        queue = feed.subscribe()
        for i in range(500):
            feed.publish(Event("conversation", str(i)))
        assert queue.qsize() < 200
        assert Event("resync") in [queue.get_nowait() for _ in range(queue.qsize())]

    async def test_streams_end_when_the_server_stops(self) -> None:
        # Uvicorn waits for open responses before it exits; its stop signal ends the streams first.
        feed = LiveFeed("sqlite+aiosqlite:///:memory:", sessionmaker=None)  # type: ignore[arg-type]
        feed._task = asyncio.get_running_loop().create_future()  # type: ignore[assignment]
        out = stream(FakeRequest(), feed, heartbeat=5.0)  # type: ignore[arg-type]
        await anext(out)
        feed.end_streams()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(out), 1.0)
        late = stream(FakeRequest(), feed, heartbeat=5.0)  # type: ignore[arg-type]
        await anext(late)
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(late), 1.0)
