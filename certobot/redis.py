"""The Redis client: a real server from REDIS_URL, or, for a single-process demo, an in-process one."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from certobot.config import BotSettings


def make_redis(settings: BotSettings, *, name: str = "certobot") -> Redis:
    if settings.redis_url is None:
        # Only for `certobot up`: one process, nothing to share; fakeredis speaks the same commands.
        from fakeredis import FakeAsyncRedis

        client: Redis = FakeAsyncRedis()
        return client
    # A blocking pool: under a burst, requests wait a moment for a free connection instead of opening
    # more (or failing). Redis answers one command at a time, so more connections than the process
    # has commands in flight in the usual case gain nothing, and each one opened costs a handshake.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=5,
        client_name=name,
        socket_timeout=5,
        socket_connect_timeout=3,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
    )
    return Redis(connection_pool=pool)


async def warm_redis(redis: Redis, connections: int, *, within: float = 10.0) -> int:
    """Open `connections` of the client's pool at once; how many were opened (best effort, `within` s).

    Each connection a burst opens costs a TCP connect and four round trips before its first command
    (PING, HELLO, CLIENT SETNAME, SELECT): a burst of 300 first messages opened about a hundred, all
    inside the wave whose last reply is the burst's p99. Opened at start, they are paid before the
    first webhook. An in-process Redis (`certobot up`) has nothing to open.
    """
    pool = redis.connection_pool
    if not isinstance(pool, BlockingConnectionPool) or connections <= 0:
        return 0
    held: list[AbstractConnection] = []

    async def one() -> None:
        held.append(await pool.get_connection())  # type: ignore[no-untyped-call]

    try:
        with suppress(TimeoutError):  # best effort: what opened in time stays open
            async with asyncio.timeout(within):
                await asyncio.gather(*(one() for _ in range(connections)), return_exceptions=True)
    finally:
        for conn in held:
            await pool.release(conn)
    return len(held)


# INCR and its expiry in one step: a process dying between two separate commands would leave a
# counter that never expires (a rate window that stays full, a poison count that never resets).
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or ARGV[2] == '1' then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return n
"""


async def count(redis: Redis, key: str, ttl_seconds: int, *, refresh: bool = False) -> int:
    """Add one to `key` and return the new count, atomically with its expiry (one Lua script).

    The expiry is set when the key is created, or on every call with `refresh`.
    """
    script = redis.register_script(_COUNT)
    return int(await script(keys=[key], args=[ttl_seconds, "1" if refresh else "0"]))
