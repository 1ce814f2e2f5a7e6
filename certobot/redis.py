"""The Redis client: a real server from REDIS_URL, or, for a single-process demo, an in-process one."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from certobot.config import BotSettings


def make_redis(settings: BotSettings, *, name: str = "certobot") -> Redis:
    if settings.redis_url is None:
        # Only for `certobot up`: one process, nothing to share; fakeredis speaks the same commands.
        from fakeredis import FakeAsyncRedis

        client: Redis = FakeAsyncRedis()
        return client
    # A blocking pool: under a burst, requests wait a moment for a connection instead of failing.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=256,
        timeout=5,
        client_name=name,
        socket_timeout=5,
        socket_connect_timeout=3,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
    )
    return Redis(connection_pool=pool)
