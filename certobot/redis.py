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
