"""A process opens at most DATABASE_MAX_CONNECTIONS to Postgres, whatever the burst.

An operator sizes the server's `max_connections` for the processes they run (docs/scaling.md); a
process that opened more would fail turns with "too many clients" under the first big burst, as two
APIs and two workers at the old fixed pools did on a stock Postgres (100 connections).
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from pydantic import ValidationError
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from certobot.main import build_resources, warm_hot_pool
from certobot.redis import warm_redis
from certokit.rawsql import fetch
from tests.conftest import crm_settings
from tests.e2e.conftest import bot_settings

SLOW = text("SELECT pg_sleep(0.05)")


async def _backends(database_url: str) -> tuple[asyncpg.Connection, str]:
    url = make_url(database_url)
    conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    return conn, str(url.database)


async def test_a_burst_on_both_pools_stays_within_the_process_budget(database_url: str, redis_url: str) -> None:
    res = build_resources(bot_settings(database_url, redis_url, database_max_connections=12, worker_concurrency=4))
    probe, name = await _backends(database_url)
    # The run's other connections to this database (the tests' own pool) were there before and stay.
    count = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
    # (once settled: a connection an earlier test closed may take a moment to leave the list).
    before, previous = -1, -2
    while before != previous:
        previous, before = before, int(await probe.fetchval(count, name))
        await asyncio.sleep(0.1)
    peak = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, int(await probe.fetchval(count, name)) - before)
            await asyncio.sleep(0.01)

    async def hot() -> None:
        await fetch(res.engine, SLOW, {})

    async def orm() -> None:
        async with res.sessionmaker() as session:
            await session.execute(SLOW)

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.gather(*(hot() for _ in range(60)), *(orm() for _ in range(30)))
    finally:
        done.set()
        await watcher
        await probe.close()
        await res.aclose()
    # The burst used what it was given (so the cap was what held it), and no more.
    assert 10 <= peak <= 12, peak


def test_workers_cannot_take_every_connection_the_webhook_needs(database_url: str, redis_url: str) -> None:
    with pytest.raises(ValidationError) as err:
        bot_settings(database_url, redis_url, database_max_connections=12, worker_concurrency=16)
    assert "WORKER_CONCURRENCY" in str(err.value)
    assert "DATABASE_MAX_CONNECTIONS=12" in str(err.value)


def test_the_defaults_keep_the_pools_each_process_had(database_url: str, redis_url: str) -> None:
    pools = bot_settings(database_url, redis_url).database_pools
    assert (pools.hot.size, pools.hot.overflow, pools.orm.size, pools.orm.overflow) == (25, 5, 5, 5)


def test_the_crm_reads_its_own_budget_before_the_shared_name(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One environment for both services (the load tool, a compose file): each keeps its own number.
    monkeypatch.setenv("DATABASE_MAX_CONNECTIONS", "18")
    assert crm_settings(database_url).database_max_connections == 18
    monkeypatch.setenv("CRM_DATABASE_MAX_CONNECTIONS", "15")
    assert crm_settings(database_url).database_max_connections == 15


async def test_a_started_process_opens_its_hot_pool_within_the_budget(database_url: str, redis_url: str) -> None:
    """DATABASE_WARM_UP: the hot pool's kept connections are open before the first webhook, no more."""
    settings = bot_settings(database_url, redis_url, database_max_connections=12, worker_concurrency=4)
    res = build_resources(settings.model_copy(update={"database_warm_up": True}))
    try:
        await warm_hot_pool(res)
        pool = res.engine.pool
        assert pool.checkedin() == pool.size() == settings.database_pools.hot.size == 8  # type: ignore[attr-defined]
    finally:
        await res.aclose()


async def _redis_clients(redis: Redis, name: str) -> int:
    clients = await redis.client_list()
    return sum(1 for c in clients if c.get("name") == name)


async def test_a_started_process_opens_its_redis_connections_and_a_burst_opens_no_more(
    database_url: str, redis_url: str
) -> None:
    """DATABASE_WARM_UP opens Redis's pool too; a burst past it waits for a connection, opens none."""
    # This process's connections named apart from the run's others (a Redis URL may name them).
    name = f"warm-{uuid.uuid4().hex[:8]}"
    named = f"{redis_url}{'&' if '?' in redis_url else '?'}client_name={name}"
    settings = bot_settings(database_url, named, database_max_connections=12, worker_concurrency=4)
    res = build_resources(settings.model_copy(update={"database_warm_up": True, "redis_max_connections": 6}))
    probe = Redis.from_url(redis_url)
    try:
        assert await _redis_clients(probe, name) == 0
        await warm_hot_pool(res)
        assert await _redis_clients(probe, name) == 6
        # Sixty commands at once (a burst's webhooks announcing their messages): all answered, on the six.
        answers = await asyncio.gather(*(res.redis.incr(f"{name}:n") for _ in range(60)))
        assert sorted(answers) == list(range(1, 61))
        assert await _redis_clients(probe, name) == 6
    finally:
        await probe.delete(f"{name}:n")
        await probe.aclose()
        await res.aclose()


async def test_a_warm_up_without_redis_does_not_hold_the_start(database_url: str) -> None:
    """The Redis of a start that has none yet (a deploy racing it): the warm-up gives up, the start goes on."""
    settings = bot_settings(database_url, "redis://127.0.0.1:1/0", database_max_connections=12, worker_concurrency=4)
    res = build_resources(settings.model_copy(update={"database_warm_up": True}))
    try:
        assert await warm_redis(res.redis, 4, within=2.0) == 0
    finally:
        await res.aclose()
