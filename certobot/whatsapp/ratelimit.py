"""Messages per second per business number, shared by every process through Redis.

A fixed one-second window keyed by phone number id: INCR with its expiry in one Lua script (one
round trip, and no window left without a TTL by a process dying between two commands), and whoever
finds the window full waits for the next one. Meta's default is 80 messages/s per number (130429 beyond it).

Sends can also be paid for ahead: the worker's claim script reserves a few sends in the current
window for the turns it is about to run (`credit`), so a turn's reply needs no round trip of its
own. A reserved send stays good through the next window too — a turn may cross a second — so one
process can go over the number's rate by at most what it reserved, a handful of messages; Meta's
130429, retried, covers that edge.
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
        self._tokens = 0
        self._window = -2

    def window_key(self, now: float | None = None) -> tuple[int, str]:
        window = int(time.time() if now is None else now)
        return window, f"{self.prefix}{window}"

    def prepaid(self, now: float | None = None) -> int:
        """Sends reserved ahead and still good now."""
        if int(time.time() if now is None else now) > self._window + 1:
            self._tokens = 0
        return self._tokens

    def credit(self, window: int, granted: int) -> None:
        """Sends the claim script reserved in `window` for this process."""
        if granted <= 0:
            return
        self._tokens = self.prepaid() + granted
        self._window = max(self._window, window)

    async def acquire(self) -> None:
        if self.prepaid() > 0:
            self._tokens -= 1
            return
        while True:
            now = time.time()
            window, key = self.window_key(now)
            if await count(self.redis, key, 2) <= self.per_second:
                return
            await asyncio.sleep(max(0.001, window + 1 - now))
