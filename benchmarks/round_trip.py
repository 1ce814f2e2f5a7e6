"""What one round trip costs the calling process here: Postgres, Redis, and an HTTP POST on loopback.

The issue's budget counts round trips per message (≤ 4 Postgres, ≤ 3 Redis) and the floor does one of
each kind; this prints the CPU the *caller* spends per round trip of each kind (time.process_time of
this process: its user time and the kernel's work on its behalf, the socket write and read, the wake-up
of the other side), so a message's unavoidable I/O can be priced on the machine at hand:

    floor   ≈ 1 Postgres + 1 Redis + 1 POST sent + 1 request answered
    budget  ≈ 4 Postgres + 3 Redis + the same HTTP

Each kind is measured in alternating rounds (pg, redis, http, pg, redis, http, …) so all share the
same minutes of a host whose speed varies. The statements are the cheapest of their kind (`SELECT 1`,
`PING`, a POST of 200 bytes answered `{}`): what is left is the client library and the kernel.

    uv run python benchmarks/round_trip.py [--calls 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg
import uvloop
from aiohttp import web
from redis.asyncio import Redis

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"
BODY = b'{"messaging_product":"whatsapp","to":"5511987654321","type":"text","text":{"body":"' + b"x" * 120 + b'"}}'


async def cpu_per_call(fn: Callable[[], Awaitable[object]], calls: int) -> float:
    """Microseconds of this process's CPU per call, the calls made one after another."""
    for _ in range(50):
        await fn()  # connections open, statements prepared
    start = time.process_time()
    for _ in range(calls):
        await fn()
    return (time.process_time() - start) / calls * 1e6


async def main(calls: int, rounds: int) -> None:
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/messages", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    pg = await asyncpg.connect(PG)
    redis = Redis.from_url(REDIS)
    http = aiohttp.ClientSession(f"http://127.0.0.1:{port}")

    async def post() -> None:
        async with http.post("/messages", data=BODY, headers={"Content-Type": "application/json"}) as r:
            await r.read()

    kinds: dict[str, Callable[[], Awaitable[object]]] = {
        "postgres SELECT 1": lambda: pg.fetchval("SELECT 1"),
        "redis PING": redis.ping,
        # The server runs in this process too: the figure is a POST sent *and* one answered.
        "HTTP POST, both ends": post,
    }
    got: dict[str, list[float]] = defaultdict(list)
    try:
        for _ in range(rounds):
            for name, fn in kinds.items():
                got[name].append(await cpu_per_call(fn, calls))
    finally:
        await http.close()
        await redis.aclose()
        await pg.close()
        await runner.cleanup()
    print(f"CPU of the calling process per round trip, µs (median of {rounds} rounds of {calls}; all rounds):")
    for name, values in got.items():
        print(f"  {name:22s} {statistics.median(values):7.0f}   {' '.join(f'{v:.0f}' for v in values)}")
    pg_us, redis_us, http_us = (statistics.median(got[k]) for k in kinds)
    print(f"  floor's I/O  (1 pg + 1 redis + HTTP):  {pg_us + redis_us + http_us:7.0f}")
    print(f"  budget's I/O (4 pg + 3 redis + HTTP):  {4 * pg_us + 3 * redis_us + http_us:7.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    uvloop.run(main(args.calls, args.rounds))
