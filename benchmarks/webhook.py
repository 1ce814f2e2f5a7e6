"""Webhook acceptance on this machine: latency from POST to the 200 (p50, p99) and webhooks per second.

Drives the real bot app over HTTP (uvicorn on loopback, uvloop + httptools, no access log) with
signed Cloud API bodies — one text message each, every phone and wamid distinct — against the
Postgres and Redis of DATABASE_URL and REDIS_URL (defaults: the local ones; a scratch database is
created and dropped). Three ways to load it:

- closed loop (`--concurrency N`): N connections, each waiting for its answer before the next;
- open loop (`--rate R`): R webhooks per second on a fixed schedule, whatever the answers, as Meta
  sends them; the latency of a late answer counts from when the webhook was due;
- `--compare K`: the bot and the floor (`benchmarks/floor.py`: signature check, one Postgres insert,
  one Redis write, nothing else) both started, then loaded in turn K times each (bot, floor, bot,
  floor, …) under the same closed loop, each round's figures printed with the CPU its server process
  spent per webhook (from /proc) and the bot/floor ratio of each pair.

Bodies are signed beforehand and sent with aiohttp, so the load generator takes as little CPU as it
can. Only the acceptance runs here (workers off); `benchmarks/loadtest.py` measures it while
messages are being answered.

    uv run python benchmarks/webhook.py --compare 4 --concurrency 4 --messages 3000
    uv run python benchmarks/webhook.py [--messages 5000] [--concurrency 50]
    uv run python benchmarks/webhook.py --rate 500 --messages 15000
    uv run python benchmarks/webhook.py --app floor ...   (the floor alone under the same load)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx

from tests.fakes import sign, text_webhook
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
TICKS = os.sysconf("SC_CLK_TCK")


def signed_bodies(count: int, first: int) -> Iterator[tuple[bytes, str]]:
    """`count` webhooks numbered from `first`: one text message each, its own phone and wamid."""
    for i in range(first, first + count):
        raw = json.dumps(
            text_webhook(f"55119{8000_0000 + i:08d}", f"mensagem {i}", wamid=f"wamid.B{uuid.uuid4().hex}")
        ).encode()
        yield raw, sign(raw, SECRET)


@dataclass(frozen=True)
class Round:
    accepted: int
    failed: int
    elapsed: float
    latencies: list[float]  # sorted
    cpu: float  # seconds the server process spent (user + system), 0 when unknown

    @property
    def per_second(self) -> float:
        return self.accepted / self.elapsed

    def pct(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[p - 1] * 1000

    def line(self) -> str:
        cpu = f"   CPU {self.cpu / max(self.accepted, 1) * 1000:.2f} ms/webhook" if self.cpu else ""
        return (
            f"{self.accepted} aceitos ({self.failed} recusados)   p50 {self.pct(50):.1f} ms   p99 {self.pct(99):.1f} ms"
            f"   máx {self.latencies[-1] * 1000:.1f} ms   {self.per_second:.0f} webhooks/s{cpu}"
        )


def cpu_seconds(pid: int | None) -> float:
    """utime + stime of a process, from /proc (0 where there is no /proc)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


async def closed_loop(bodies: list[tuple[bytes, str]], concurrency: int, url: str, pid: int | None = None) -> Round:
    latencies: list[float] = []
    failed = 0
    pending = iter(bodies)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url=url, connector=connector) as http:

        async def sender() -> None:
            nonlocal failed
            for raw, signature in pending:
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                t = time.perf_counter()
                async with http.post("/webhooks/whatsapp", data=raw, headers=headers) as r:
                    await r.read()
                    ok = r.status == 200
                latencies.append(time.perf_counter() - t)
                failed += not ok

        cpu = cpu_seconds(pid)
        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(pid) - cpu
    latencies.sort()
    return Round(len(latencies) - failed, failed, elapsed, latencies, cpu)


async def open_loop(bodies: list[tuple[bytes, str]], rate: float, url: str, connections: int) -> Round:
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=connections)  # a sender's connections are few; the rest wait their turn
    async with aiohttp.ClientSession(base_url=url, connector=connector) as http:

        async def send(raw: bytes, signature: str, due: float) -> None:
            nonlocal failures
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
            try:
                async with http.post("/webhooks/whatsapp", data=raw, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        failures += 1
            except (aiohttp.ClientError, TimeoutError):
                failures += 1  # Meta would deliver it again; here it only counts as not accepted
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter()
        tasks = []
        for i, (raw, signature) in enumerate(bodies):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(raw, signature, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies.sort()
    return Round(len(latencies) - failures, failures, elapsed, latencies, 0.0)


def start_server(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """One uvicorn process as production runs it (uvloop, httptools, no access log); waits for /health."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, url


def compare(rounds: int, messages: int, concurrency: int, servers: dict[str, tuple[int, str]]) -> None:
    """Bot, floor, bot, floor…: the same closed loop on each in turn, fresh webhooks every round."""
    numbered = iter(range(0, 10**9, messages))
    for pid, url in servers.values():  # a round each, not counted: pools filled, statements prepared, heaps grown
        asyncio.run(closed_loop(list(signed_bodies(messages, next(numbered))), concurrency, url, pid))
    print(f"uptime: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"{rounds} pares, {messages} webhooks por rodada, {concurrency} conexões")
    pairs: list[tuple[Round, Round]] = []
    for n in range(1, rounds + 1):
        done: dict[str, Round] = {}
        for name, (pid, url) in servers.items():
            bodies = list(signed_bodies(messages, next(numbered)))
            done[name] = asyncio.run(closed_loop(bodies, concurrency, url, pid))
            print(f"par {n} {name:5} {done[name].line()}", flush=True)
        pairs.append((done["bot"], done["floor"]))
        print(f"par {n} bot/floor {done['bot'].per_second / done['floor'].per_second:.2f}", flush=True)
    print()
    print(
        "| par | bot webhooks/s | bot p50 / p99 | bot CPU/webhook | floor webhooks/s | floor p50 / p99 "
        "| floor CPU/webhook | bot / floor |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for n, (bot, floor) in enumerate(pairs, 1):
        print(
            f"| {n} | {bot.per_second:.0f} | {bot.pct(50):.1f} / {bot.pct(99):.1f} ms "
            f"| {bot.cpu / bot.accepted * 1000:.2f} ms | {floor.per_second:.0f} "
            f"| {floor.pct(50):.1f} / {floor.pct(99):.1f} ms | {floor.cpu / floor.accepted * 1000:.2f} ms "
            f"| {bot.per_second / floor.per_second:.2f} |"
        )
    ratios = sorted(b.per_second / f.per_second for b, f in pairs)
    print(f"razão bot/floor: mediana {statistics.median(ratios):.2f} (de {ratios[0]:.2f} a {ratios[-1]:.2f})")
    print(f"uptime: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000, help="webhooks (per round with --compare)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections (closed and open loop)")
    parser.add_argument("--rate", type=float, help="open loop: webhooks per second on a fixed schedule")
    parser.add_argument(
        "--app",
        choices=("bot", "floor"),
        default="bot",
        help="floor: benchmarks/floor.py accepting only (signature, one insert, one Redis INCR)",
    )
    parser.add_argument("--compare", type=int, metavar="K", help="K pairs of rounds, bot then floor, same run")
    args = parser.parse_args()
    db = f"bench_{os.getpid()}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        "WHATSAPP_APP_SECRET": SECRET,
        "RUN_BACKGROUND_WORKERS": "false",
        "LOG_LEVEL": "WARNING",
        "CERTOBOT_MODEL": "rules",
        # The floor's acceptance alone: its insert and its INCR, no reply (ours has workers off too).
        "FLOOR_REPLIES": "0",
        "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9",
    }
    apps = ("bot", "floor") if args.compare else (args.app,)
    started: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        if "bot" in apps:
            subprocess.run(
                [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True
            )
        for name in apps:
            started[name] = start_server("certobot.main:app" if name == "bot" else "benchmarks.floor:app", env)
        if args.compare:
            compare(args.compare, args.messages, args.concurrency, {n: (p.pid, url) for n, (p, url) in started.items()})
            return
        server, url = started[args.app]
        bodies = list(signed_bodies(args.messages, 0))
        if args.rate:
            done = asyncio.run(open_loop(bodies, args.rate, url, args.concurrency))
            print(f"ritmo pedido {args.rate:.0f}/s, {args.concurrency} conexões")
        else:
            done = asyncio.run(closed_loop(bodies, args.concurrency, url, server.pid))
            print(f"{args.concurrency} conexões")
        print(done.line())
    finally:
        for server, _ in started.values():
            server.terminate()
            server.wait(10)
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    main()
