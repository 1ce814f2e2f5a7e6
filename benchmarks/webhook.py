"""Webhook acceptance on this machine: latency from POST to the 200 (p50, p99) and messages per second.

Drives the real bot app over HTTP (uvicorn on loopback) with signed Cloud API bodies, against the
Postgres and Redis of DATABASE_URL and REDIS_URL (defaults: the local ones; a scratch database is
created and dropped). Two ways to load it:

- closed loop (`--concurrency N`): N senders, each waiting for its answer before the next;
- open loop (`--rate R`): R webhooks per second on a fixed schedule, whatever the answers, as Meta
  sends them; the latency of a late answer counts from when the webhook was due. Bodies are signed
  beforehand and sent with aiohttp, so the load generator takes as little CPU as it can.

Only the acceptance runs here (workers off); `benchmarks/loadtest.py` measures it while messages
are being answered.

    uv run python benchmarks/webhook.py [--messages 5000] [--concurrency 50]
    uv run python benchmarks/webhook.py --rate 500 --messages 15000
    uv run python benchmarks/webhook.py --app floor ...   (the floor under the same load)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import httpx

from tests.fakes import sign, text_webhook

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def run(messages: int, concurrency: int, url: str) -> None:
    bodies = [
        json.dumps(
            text_webhook(f"55119{8000_0000 + i % 2000:08d}", f"mensagem {i}", wamid=f"wamid.B{uuid.uuid4().hex}")
        ).encode()
        for i in range(messages)
    ]
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            raw = queue.get_nowait()
            t = time.perf_counter()
            r = await client.post(
                "/webhooks/whatsapp",
                content=raw,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, SECRET)},
            )
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    report(f"mensagens aceitas: {len(latencies)} (concorrência {concurrency})", latencies, elapsed)


def report(accepted: str, latencies: list[float], elapsed: float) -> None:
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    print(accepted)
    print(f"latência p50: {q[49] * 1000:.1f} ms   p99: {q[98] * 1000:.1f} ms   máx: {latencies[-1] * 1000:.1f} ms")
    print(f"vazão: {len(latencies) / elapsed:.0f} mensagens/s")


async def run_open_loop(messages: int, rate: float, url: str, connections: int) -> None:
    bodies = []
    for i in range(messages):
        raw = json.dumps(
            text_webhook(f"55119{8000_0000 + i % 2000:08d}", f"mensagem {i}", wamid=f"wamid.B{uuid.uuid4().hex}")
        ).encode()
        bodies.append((raw, sign(raw, SECRET)))
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
    report(
        f"mensagens aceitas: {len(latencies) - failures} de {messages} (ritmo pedido {rate:.0f}/s)", latencies, elapsed
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50, help="senders (closed loop) or connections (open loop)")
    parser.add_argument("--rate", type=float, help="open loop: webhooks per second on a fixed schedule")
    parser.add_argument(
        "--app",
        choices=("bot", "floor"),
        default="bot",
        help="floor: benchmarks/floor.py accepting only (one insert, one Redis INCR), for a same-run ratio",
    )
    args = parser.parse_args()
    db = f"bench_{os.getpid()}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
    port = free_port()
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
    try:
        if args.app == "bot":
            subprocess.run(
                [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True
            )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "certobot.main:app" if args.app == "bot" else "benchmarks.floor:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            url = f"http://127.0.0.1:{port}"
            if args.rate:
                asyncio.run(run_open_loop(args.messages, args.rate, url, args.concurrency))
            else:
                asyncio.run(run(args.messages, args.concurrency, url))
        finally:
            server.terminate()
            server.wait(10)
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    main()
