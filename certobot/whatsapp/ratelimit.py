"""Messages per second per business number, shared by every process through Redis.

A fixed one-second window keyed by phone number id: INCR, and whoever finds the window full waits
for the next one. Meta's default is 80 messages/s per number (130429 beyond it).
"""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis


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
            count = await self.redis.incr(key)
            if count == 1:
                await self.redis.expire(key, 2)
            if count <= self.per_second:
                return
            await asyncio.sleep(max(0.001, window + 1 - now))
