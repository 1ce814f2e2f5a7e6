"""Exactly one process runs the singleton loops, and another takes them over when it goes away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress

import asyncpg
from sqlalchemy.engine import make_url

from certokit.leader import Leadership, while_leading

LOCK = "test.background"


class Contender:
    """One process as `certobot.worker` runs it: the lock, and a singleton loop recording its starts."""

    def __init__(self, database_url: str, name: str, runs: list[str]) -> None:
        self.name, self.runs = name, runs
        self.leadership = Leadership(database_url, LOCK, retry_every=0.1)
        self.stop = asyncio.Event()
        self.tasks = [
            asyncio.create_task(self.leadership.run(self.stop)),
            asyncio.create_task(while_leading(self.leadership, self.stop, self.loop, name)),
        ]

    async def loop(self, own_stop: asyncio.Event) -> None:
        self.runs.append(self.name)
        await own_stop.wait()
        self.runs.append(f"{self.name} stopped")

    @property
    def leads(self) -> bool:
        return self.leadership.leading.is_set()

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            with suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_one_leads_and_the_other_takes_over_when_it_stops(database_url: str) -> None:
    runs: list[str] = []
    a = Contender(database_url, "a", runs)
    await until(lambda: a.leads)
    b = Contender(database_url, "b", runs)
    try:
        await until(lambda: b.leadership.tries >= 3)  # b asked for the lock, several times
        assert not b.leads
        assert runs == ["a"]
        await a.close()
        await until(lambda: b.leads and runs[-1] == "b")
        assert runs == ["a", "a stopped", "b"]
    finally:
        await a.close()
        await b.close()
    assert runs == ["a", "a stopped", "b", "b stopped"]


async def test_a_leader_whose_connection_dies_stops_its_loops_and_one_leads_again(database_url: str) -> None:
    runs: list[str] = []
    a, b = Contender(database_url, "a", runs), Contender(database_url, "b", runs)
    try:
        await until(lambda: a.leads or b.leads)
        first, second = (a, b) if a.leads else (b, a)
        await until(lambda: second.leadership.tries >= 2)
        assert runs == [first.name]
        # The leader's connection is cut (its host died, the network split): Postgres frees the lock.
        admin = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                " WHERE locktype = 'advisory' AND objid = $1 AND granted",
                first.leadership.key,
            )
        finally:
            await admin.close()
        assert killed == 1
        await until(lambda: f"{first.name} stopped" in runs and len(runs) == 3)  # noticed, and someone leads
        assert [a.leads, b.leads].count(True) == 1
        # In either order: the new leader may start before the old one notices (a beat of overlap).
        assert sorted(runs[1:]) == sorted([f"{first.name} stopped", (a if a.leads else b).name])
    finally:
        await a.close()
        await b.close()


def test_background_setting_decides_whether_a_process_runs_background_work() -> None:
    from certobot.config import BotSettings
    from mock_crm.settings import CrmSettings

    def bot(**values: object) -> bool:
        return BotSettings(_env_file=None, **values).runs_background  # type: ignore[arg-type]

    def crm(**values: object) -> bool:
        return CrmSettings(_env_file=None, **values).runs_background  # type: ignore[arg-type]

    for runs in (bot, crm):
        assert runs()  # auto, and RUN_BACKGROUND_WORKERS defaults to yes: `certobot up` is one process
        assert not runs(run_background_workers=False)  # auto follows the older switch
        assert runs(background="on", run_background_workers=False)
        assert not runs(background="off")
