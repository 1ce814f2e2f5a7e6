"""Messages per second per business number, shared by every process through Redis.

A fixed one-second window keyed by phone number id: INCR with its expiry in one Lua script (one
round trip, and no window left without a TTL by a process dying between two commands), and whoever
finds the window full waits for the next one. Meta's default is 80 messages/s per number (130429 beyond it).
"""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from certobot.redis import count


class SendRateLimiter:
    def __init__(self, redis: Redis, phone_number_id: str, per_second: int) -> None:
        self.redis = redis
        self.prefix = f"certobot:rl:{phone_number_id}:"
        self.per_second = per_second

    async def acquire(self) -> None:
        while True:
            now = time.time()
            window = int(now)
            key = f"{self.prefix}{window}"
            if await count(self.redis, key, 2) <= self.per_second:
                return
            await asyncio.sleep(max(0.001, window + 1 - now))
