"""Load: many simulated debtors talking to a running bot at once, end to end.

Starts real processes on loopback — a Graph API stand-in (in this process), the mock CRM and the bot
(uvicorn, Postgres and Redis from the environment) — seeds N debtors, and lets each one live the
first three turns of a conversation through signed webhooks, waiting for each answer as a person
would. Reports webhook acceptance latency, reply latency (webhook to the reply reaching the Graph
API), throughput, and checks that no message was lost, none answered twice, and replies came in order.

    uv run python benchmarks/loadtest.py --debtors 300 [--api-processes 1] [--json results.json]
    uv run python benchmarks/loadtest.py --debtors 200 --kill-api-after 4   # fault: kill -9 mid-load
    uv run python benchmarks/loadtest.py --debtors 200 --model              # a model taking 300-800 ms
    uv run python benchmarks/loadtest.py --debtors 200 --floor              # the same load on the floor
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
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request

from tests.fakes import sign, text_webhook

ROOT = Path(__file__).resolve().parent.parent
SECRET, CRM_KEY = "load-secret", "load-crm-key"
EXPECT = ["3 primeiros", "Identidade confirmada", "Posso fechar"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Graph:
    """Meta's Graph API as far as sending goes; wakes the simulated debtor waiting for its reply."""

    def __init__(self) -> None:
        self.inbox: dict[str, asyncio.Queue[tuple[float, str]]] = defaultdict(asyncio.Queue)
        self.app = FastAPI()

        @self.app.post("/v25.0/{pnid}/messages")
        async def messages(pnid: str, request: Request) -> dict[str, Any]:
            body = await request.json()
            to = str(body.get("to", ""))
            text = body.get("text", {}).get("body") or json.dumps(body.get("template", {}))
            self.inbox[to].put_nowait((time.perf_counter(), text))
            return {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": "wamid.LOAD" + uuid.uuid4().hex}],
            }

        @self.app.post("/v25.0/{pnid}/media")
        async def media(pnid: str) -> dict[str, str]:
            return {"id": uuid.uuid4().hex[:16]}


class StandInModel:
    """Groq's chat-completions API, answering in 300–800 ms like a hosted model would.

    It "understands" with the offline NLU and answers through the agent's output tool, wording the
    reply without amounts (the policy's output validator accepts it; the numbers stay the engine's).
    """

    def __init__(self) -> None:
        import random
        from datetime import date

        from certobot.negotiation.nlu import understand

        self.app = FastAPI()
        self.calls = 0

        @self.app.post("/openai/v1/chat/completions")
        async def completions(request: Request) -> dict[str, Any]:
            self.calls += 1
            body = await request.json()
            await asyncio.sleep(random.uniform(0.3, 0.8))
            user = next((m.get("content") for m in reversed(body["messages"]) if m["role"] == "user"), "") or ""
            heard = understand(str(user), date.today())
            args = {"intent": heard.intent.value, "reply": "Entendi! Posso fechar assim? Posso fechar o acordo?"}
            if heard.installments:
                args["installments"] = heard.installments
            return {
                "id": "chatcmpl-" + uuid.uuid4().hex,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "openai/gpt-oss-120b"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": "call_" + uuid.uuid4().hex[:12],
                                    "type": "function",
                                    "function": {"name": "final_result", "arguments": json.dumps(args)},
                                }
                            ],
                        },
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            }


async def deliver(client: httpx.AsyncClient, raw: bytes, stats: dict[str, list[Any]]) -> bool:
    """Post a webhook like Meta does: anything but a 200, or no answer, is delivered again for a while."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, SECRET)}
    for _attempt in range(120):
        try:
            r = await client.post("/webhooks/whatsapp", content=raw, headers=headers)
        except httpx.HTTPError:
            r = None
        if r is not None and r.status_code == 200:
            return True
        stats["redelivered"].append(1)
        await asyncio.sleep(0.5)
    return False


async def debtor(client: httpx.AsyncClient, graph: Graph, phone: str, cpf: str, stats: dict[str, list[Any]]) -> None:
    wa = phone.lstrip("+")
    for turn, text in enumerate(["oi", cpf[:3], "quero pagar à vista"]):
        raw = json.dumps(text_webhook(wa, text), ensure_ascii=False).encode()
        t0 = time.perf_counter()
        if not await deliver(client, raw, stats):
            stats["rejected"].append(wa)
            return
        stats["accept"].append(time.perf_counter() - t0)
        try:
            at, reply = await asyncio.wait_for(graph.inbox[wa].get(), timeout=90)
        except TimeoutError:
            stats["lost"].append((wa, turn))
            return
        stats["reply"].append(at - t0)
        if EXPECT[turn] not in reply:
            stats["out_of_order"].append((wa, turn, reply[:60]))
    await asyncio.sleep(2)  # anything more for this phone would be a duplicate
    while not graph.inbox[wa].empty():
        stats["duplicates"].append((wa, graph.inbox[wa].get_nowait()[1][:60]))


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    db = f"load_{os.getpid()}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
    graph = Graph()
    gport, cport = free_port(), free_port()
    bports = [free_port() for _ in range(args.api_processes)]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
        "REDIS_URL": os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "CRM_BASE_URL": f"http://127.0.0.1:{cport}",
        "CRM_API_KEY": CRM_KEY,
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_ACCESS_TOKEN": "load",
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WHATSAPP_API_BASE_URL": f"http://127.0.0.1:{gport}/v25.0",
        "CERTOBOT_MODEL": "rules",
        "MOCK_DEBTORS_COUNT": str(args.debtors),
        "LOG_LEVEL": "WARNING",
        "WHATSAPP_RATE_PER_SECOND": "1000",
    }
    subprocess.run(["redis-cli", "-n", "13", "FLUSHDB"], check=False, capture_output=True)
    server = uvicorn.Server(uvicorn.Config(graph.app, port=gport, log_level="warning"))
    graph_task = asyncio.create_task(server.serve())
    model = StandInModel()
    if args.model:
        mport = free_port()
        env.update(
            {
                "CERTOBOT_MODEL": "groq:openai/gpt-oss-120b",
                "GROQ_API_KEY": "gsk_load",
                "GROQ_BASE_URL": f"http://127.0.0.1:{mport}",
            }
        )
        model_server = uvicorn.Server(uvicorn.Config(model.app, port=mport, log_level="warning"))
        model_task = asyncio.create_task(model_server.serve())
    procs: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "mock_crm.main:app",
                    "--port",
                    str(cport),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=env,
            )
        )
        app_path = "benchmarks.floor:app" if args.floor else "certobot.main:app"
        for p in bports:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        app_path,
                        "--port",
                        str(p),
                        "--log-level",
                        "warning",
                        "--no-access-log",
                    ],
                    cwd=ROOT,
                    env=env,
                )
            )
        async with httpx.AsyncClient(timeout=30) as probe:
            for url in [f"http://127.0.0.1:{cport}/health", *(f"http://127.0.0.1:{p}/health" for p in bports)]:
                for _ in range(200):
                    try:
                        if (await probe.get(url)).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
            items: list[dict[str, Any]] = []
            page = 1
            while len(items) < args.debtors:
                r = await probe.get(
                    f"http://127.0.0.1:{cport}/api/debtors",
                    params={"page": page, "page_size": 500},
                    headers={"Authorization": f"Bearer {CRM_KEY}"},
                )
                batch = r.json()["items"]
                if not batch:
                    break
                items += batch
                page += 1
        stats: dict[str, list[Any]] = defaultdict(list)
        limits = httpx.Limits(max_connections=args.concurrency)
        clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", limits=limits, timeout=60) for p in bports]

        async def chaos() -> None:
            """kill -9 the first API process mid-load, then start it again on the same port."""
            if not args.kill_api_after:
                return
            await asyncio.sleep(args.kill_api_after)
            victim = procs[1]
            victim.kill()
            victim.wait()
            stats["killed"].append(victim.pid)
            await asyncio.sleep(2)
            procs[1] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    app_path,
                    "--port",
                    str(bports[0]),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=env,
            )

        start = time.perf_counter()
        await asyncio.gather(
            chaos(),
            *(debtor(clients[i % len(clients)], graph, d["phone"], d["cpf"], stats) for i, d in enumerate(items)),
        )
        elapsed = time.perf_counter() - start - 2
        for c in clients:
            await c.aclose()
        result = {
            "debtors": len(items),
            "api_processes": args.api_processes,
            "messages": len(stats["accept"]),
            "accept_p50_ms": round(pct(stats["accept"], 50), 1),
            "accept_p99_ms": round(pct(stats["accept"], 99), 1),
            "reply_p50_ms": round(pct(stats["reply"], 50), 1),
            "reply_p99_ms": round(pct(stats["reply"], 99), 1),
            "messages_per_s": round(len(stats["accept"]) / elapsed, 1),
            "lost": len(stats["lost"]),
            "duplicates": len(stats["duplicates"]),
            "out_of_order": len(stats["out_of_order"]),
            "rejected": len(stats["rejected"]),
            "redelivered": len(stats["redelivered"]),
            "api_killed": len(stats["killed"]),
            "engine": "floor" if args.floor else ("stand-in model 300-800 ms" if args.model else "offline rules"),
            "model_calls": model.calls,
        }
        return result
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(15)
        server.should_exit = True
        await graph_task
        if args.model:
            model_server.should_exit = True
            await model_task
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=300)
    parser.add_argument("--api-processes", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--model", action="store_true", help="a stand-in Groq answering in 300-800 ms")
    parser.add_argument("--floor", action="store_true", help="run the load against benchmarks/floor.py instead")
    parser.add_argument("--kill-api-after", type=float, default=0.0, help="kill -9 the API after N seconds, restart it")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    for k, v in result.items():
        print(f"{k:>16}: {v}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
