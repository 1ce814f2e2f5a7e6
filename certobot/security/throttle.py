"""Wrong keys are throttled per client: guessing an operator key at 140 tries a second is over.

Failures are counted in Redis per client address over a window; past the limit every call from that
client gets 429 with Retry-After until the window ends, the right key included, so a guesser learns
nothing from the answers meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from starlette.exceptions import HTTPException

from certokit.errors import Unauthorized
from certokit.logging import get_logger

log = get_logger("certobot.security")
PREFIX = "certobot:authfail:"
T = TypeVar("T")


async def throttled(
    redis: Redis, client: str, check: Callable[[], Awaitable[T]], *, max_failures: int, window_seconds: int
) -> T:
    """Run `check` (which raises Unauthorized on a wrong key or password) unless this client failed too often."""
    key = PREFIX + client
    failures = await redis.get(key)
    if failures is not None and int(failures) >= max_failures:
        ttl = await redis.ttl(key)
        raise HTTPException(429, headers={"Retry-After": str(max(1, ttl))})
    try:
        return await check()
    except Unauthorized:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_seconds, nx=True)
            count, _ = await pipe.execute()
        if int(count) == max_failures:
            log.warning("auth_throttled", window_seconds=window_seconds)
        raise
