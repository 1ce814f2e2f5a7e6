"""Counters in Redis are one atomic step each (Lua or MULTI), against the real server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.crm.client import BREAKER_KEY, CrmClient, CrmUnavailable
from certobot.redis import count
from certobot.whatsapp import ratelimit
from certobot.whatsapp.pipeline import _FINISH, Pipeline, announce
from certobot.whatsapp.ratelimit import SendRateLimiter
from tests.counting import counting
from tests.e2e.conftest import make_stack


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


class TestCount:
    async def test_a_counter_is_born_with_its_expiry(self, redis: Redis) -> None:
        key = f"t:{uuid.uuid4().hex}"
        assert [await count(redis, key, 60) for _ in range(3)] == [1, 2, 3]
        assert 0 < await redis.ttl(key) <= 60

    async def test_refresh_pushes_the_expiry_on_every_count(self, redis: Redis) -> None:
        key = f"t:{uuid.uuid4().hex}"
        await count(redis, key, 5)
        assert await count(redis, key, 500, refresh=True) == 2
        assert await redis.ttl(key) > 5

    async def test_one_round_trip_per_count(
        self, redis: Redis, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key = f"t:{uuid.uuid4().hex}"
        await count(redis, key, 60)  # loads the script once
        with counting(engine, monkeypatch) as tally:
            await count(redis, key, 60)
        assert tally.redis_round_trips == 1
        assert tally.redis_commands == {"EVALSHA": 1}


class TestSendRate:
    async def test_many_senders_at_once_never_pass_the_rate(
        self, redis: Redis, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        limiter = SendRateLimiter(redis, f"n{uuid.uuid4().hex[:8]}", per_second=10)
        counts: list[tuple[str, int]] = []

        async def seen(r: Redis, key: str, ttl: int, **kw: bool) -> int:
            n = await count(r, key, ttl, **kw)
            counts.append((key, n))
            return n

        monkeypatch.setattr(ratelimit, "count", seen)
        await asyncio.gather(*(limiter.acquire() for _ in range(25)))
        granted = Counter(key for key, n in counts if n <= 10)
        assert sum(granted.values()) == 25
        assert len(granted) >= 3  # 25 at 10 a second take three windows
        # Every window's counts are distinct: no two senders were handed the same place.
        assert all(len({n for k, n in counts if k == key}) == sum(1 for k, _ in counts if k == key) for key in granted)
        ttls = [await redis.ttl(k) for k in granted]
        assert -1 not in ttls  # no window without an expiry (-2: one already expired, as it should)

    async def test_sends_reserved_ahead_need_no_round_trip_and_run_out(
        self, redis: Redis, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        limiter = SendRateLimiter(redis, f"n{uuid.uuid4().hex[:8]}", per_second=10)
        window = int(time.time())
        limiter.credit(window, 2)
        await limiter.acquire()  # loads nothing, asks nobody
        with counting(engine, monkeypatch) as tally:
            await limiter.acquire()
            assert tally.redis_round_trips == 0  # paid for by the claim script
            await limiter.acquire()
            assert tally.redis_round_trips == 1  # the reservation is spent: the window is asked

    def test_a_reservation_is_good_through_the_next_second_only(self, redis: Redis) -> None:
        limiter = SendRateLimiter(redis, "n", per_second=10)
        limiter.credit(1_000, 3)
        assert limiter.prepaid(now=1_000.5) == 3
        assert limiter.prepaid(now=1_001.9) == 3  # a turn may cross a second
        assert limiter.prepaid(now=1_002.0) == 0  # then it is gone: the number's rate holds


class TestClaimReservesSends:
    async def test_the_claim_script_reserves_one_send_per_phone_and_a_spare_within_the_rate(
        self, database_url: str, redis_url: str
    ) -> None:
        async with make_stack(database_url, redis_url, run_background_workers=False) as stack:
            res = stack.bot_app.state.resources
            pipeline = Pipeline(res, stack.bot_app.state.turn_handler)
            await pipeline.ensure_group()
            await res.redis.xtrim("certobot:inbound", maxlen=0)
            limiter = pipeline.sender.limiter
            limiter.per_second = 4
            await announce(res.redis, ["5511900000101", "5511900000102"])
            claimed = await pipeline.read_and_claim()
            assert len(claimed) == 2
            window, key = limiter.window_key()
            reserved = int(await res.redis.get(key) or 0) + int(
                await res.redis.get(f"{limiter.prefix}{window - 1}") or 0
            )
            assert reserved == 3  # two phones and a spare, counted in the number's window
            assert limiter.prepaid() == 3
            # Three more phones: the worker still holds three sends, so it asks for one (three
            # phones and a spare, less three) — and the window, at 4 a second, has exactly one left.
            await announce(res.redis, ["5511900000103", "5511900000104", "5511900000105"])
            assert len(await pipeline.read_and_claim()) == 3
            assert limiter.prepaid() == 4


class TestBreaker:
    async def test_failures_open_it_in_one_step_and_the_key_expires(self, redis: Redis) -> None:
        await redis.delete(BREAKER_KEY)

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
            client = CrmClient(http, "http://crm.test", "k", redis, attempts=1, breaker_threshold=2)
            for _ in range(2):
                with pytest.raises(CrmUnavailable):
                    await client.get_outcome("s")
            state = await redis.hgetall(BREAKER_KEY)
            assert float(state[b"open_until"]) > time.time()
            assert state[b"failures"] == b"0"
            assert 0 < await redis.ttl(BREAKER_KEY) <= 300
            with pytest.raises(CrmUnavailable, match="circuito aberto"):
                await client.get_outcome("s")


class TestFinishReleasesOnlyItsOwnLock:
    async def test_a_lock_that_expired_and_was_taken_by_another_worker_stays_theirs(self, redis: Redis) -> None:
        finish = redis.register_script(_FINISH)
        key, stream = f"t:lock:{uuid.uuid4().hex}", f"t:st:{uuid.uuid4().hex}"
        await redis.xgroup_create(stream, "g", id="0", mkstream=True)
        await redis.set(key, "mine", px=20_000)
        await finish(keys=[key, f"{key}:s", stream], args=["mine", "", 60, "g", 20_000])
        assert await redis.get(key) is None  # ours: released
        await redis.set(key, "theirs", px=20_000)  # ours ran out meanwhile; another worker took it
        await finish(keys=[key, f"{key}:s", stream], args=["mine", "", 60, "g", 20_000])
        assert await redis.get(key) == b"theirs"
        assert 0 < await redis.pttl(key) <= 20_000
