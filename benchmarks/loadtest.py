"""Load and faults: many simulated debtors talking to running processes at once, end to end.

Starts real processes on loopback — a Redis server of its own, a Postgres database of its own, the
mock CRM, one or more bot API processes and, if asked, separate workers — plus, in this process, a
Graph API stand-in (and a stand-in Groq with `--model`). Seeds N debtors; each lives a whole
conversation through signed webhooks ("oi", the CPF digits, "quero pagar à vista", "fechou"),
waiting for each answer as a person would and sending again whatever is not answered 200, as Meta
does; a debtor whose debt cannot be negotiated (prescribed, paid, disputed, opted out) stops at the
bot's notice after the CPF, counted as `ended_at_identity`. A fault can be injected mid-load. At the end it checks, from the outside and in the databases:

- every accepted message answered once, in order (nothing lost, nothing doubled);
- every conversation with exactly one outcome in the CRM, and one conversation per debtor;
- every agreement's boleto delivered on WhatsApp once;

and reports webhook acceptance and reply latency (p50, p99), messages per second and Redis memory.

    uv run python benchmarks/loadtest.py --debtors 300 [--api-processes 2 --workers 2] [--json out.json]
    uv run python benchmarks/loadtest.py --debtors 300 --arrival-rate 5 --think 2   # a steady, paced load
    uv run python benchmarks/loadtest.py --debtors 200 --fault kill-api      # kill -9 mid-load, restart
    uv run python benchmarks/loadtest.py --debtors 200 --fault crm-down      # the CRM away for 60 s
    uv run python benchmarks/loadtest.py --debtors 200 --model               # a model taking 300-800 ms
    uv run python benchmarks/loadtest.py --debtors 200 --floor               # the same load on the floor
    uv run python benchmarks/loadtest.py --debtors 200 --fault kill-api --no-statuses   # Meta silent: compare

Faults (`--fault`, at `--fault-at` seconds, for `--fault-for` seconds): kill-api, kill-worker,
redis-restart (restarted empty), crm-down, graph-storm (the Graph API answers 429 and 500),
model-hang (with --model: the model never answers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import uvicorn
from aiohttp import web
from fastapi import FastAPI, Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

from certobot.config import BotSettings
from certokit.db import pool_split
from mock_crm.settings import CrmSettings
from tests.fakes import sign, status_object, statuses_webhook, text_webhook
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET, CRM_KEY, CRM_TOKEN = "load-secret", "load-crm-key", "load-crm"
PG = "postgresql://postgres@127.0.0.1:5432"
# Each service keeps its tables in its own schema; these checks read both.
BOTH_SCHEMAS = {"search_path": "bot, crm"}
SCRIPT = ["oi", "{cpf3}", "quero pagar à vista", "fechou"]
# What each turn's first reply says (any of), and how many messages the turn brings.
EXPECT: list[tuple[tuple[str, ...], int]] = [
    (("3 primeiros",), 1),
    (("Identidade confirmada",), 1),
    (("Posso fechar",), 1),
    (("acordo feito", "Acordo fechado"), 2),  # the agreement, then how the boleto arrives
]
# What the bot says instead of an offer, after the CPF, when the debt cannot be negotiated (a seeded
# debtor whose debt is prescribed, paid, disputed, or who opted out): that debtor's conversation ends
# there, as for a person, and is counted as `ended_at_identity`, not as an out-of-order reply.
ENDS_AT_IDENTITY = (
    "está prescrita e não pode ser cobrada",
    "essa dívida já está paga",
    "contestação dessa dívida está em análise",
    "pra não receber mensagens de cobrança",
    "falecimento do titular",
)
FAULTS = ["kill-api", "kill-worker", "redis-restart", "crm-down", "graph-storm", "model-hang"]
DEFAULT_FAULT_FOR = {"crm-down": 60.0, "graph-storm": 20.0, "model-hang": 20.0}  # else 5 s down
# Meta's status webhooks for each message it took: "sent" about half a second after answering,
# "delivered" a moment later; the due ones go out together every STATUS_EVERY seconds (Meta batches
# statuses too), and a webhook that was not answered 200 is delivered again a second later.
STATUS_AFTER = {"sent": 0.5, "delivered": 1.0}
STATUS_EVERY = 0.25
STATUS_BATCH = 100


def pct(values: list[float], q: int) -> float:
    return round(statistics.quantiles(values, n=100)[q - 1] * 1000, 1) if len(values) > 1 else float("nan")


class Graph:
    """Meta's Graph API as far as sending goes. The bot's replies wake the debtor waiting for them;
    the CRM's sends (told apart by its access token) are counted as boleto deliveries. On aiohttp's
    server, the lightest at hand: its CPU is taken from the processes under test.

    Like Meta, it reports on every message it took: signed `statuses` webhooks ("sent", then
    "delivered") to the bot's webhook, after answering and apart from it, echoing the request's
    `biz_opaque_callback_data` — what lets the bot record a send whose process was killed before
    recording it. `webhooks` is empty for the floor, which takes no statuses."""

    def __init__(self) -> None:
        self.inbox: dict[str, asyncio.Queue[tuple[float, str]]] = defaultdict(asyncio.Queue)
        self.documents: dict[str, int] = defaultdict(int)
        self.storm_until = 0.0
        self.storm_errors = 0
        self.webhooks: list[str] = []  # the bot's webhook URLs, one per API process
        self.due: list[tuple[float, dict[str, Any]]] = []  # (when, status object) not posted yet
        self.statuses_posted = 0
        self.status_redeliveries = 0
        self.app = web.Application()
        self.app.router.add_post("/v25.0/{pnid}/messages", self.messages)
        self.app.router.add_post("/v25.0/{pnid}/media", self.media)

    async def messages(self, request: web.Request) -> web.Response:
        if time.monotonic() < self.storm_until:
            return self.storm()
        body = await request.json()
        to = str(body.get("to", ""))
        if request.headers.get("authorization") == f"Bearer {CRM_TOKEN}":
            if body.get("type") == "document":
                self.documents[to] += 1
        else:
            text = body.get("text", {}).get("body") or json.dumps(body.get("template", {}))
            self.inbox[to].put_nowait((time.perf_counter(), text))
        wamid = "wamid.LOAD" + uuid.uuid4().hex
        if self.webhooks:
            now, data = time.monotonic(), body.get("biz_opaque_callback_data")
            self.due.extend((now + after, status_object(wamid, st, to, data)) for st, after in STATUS_AFTER.items())
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    async def report_statuses(self) -> None:
        """Post the due statuses until cancelled: one signed body per batch, to the API processes in
        turn; what is not answered 200 (an API killed, busy past the timeout) is due again later."""
        turn = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
            while True:
                await asyncio.sleep(STATUS_EVERY)
                now = time.monotonic()
                ready = [obj for at, obj in self.due if at <= now]
                self.due = [(at, obj) for at, obj in self.due if at > now]
                for i in range(0, len(ready), STATUS_BATCH):
                    batch = ready[i : i + STATUS_BATCH]
                    raw = json.dumps(statuses_webhook(batch)).encode()
                    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, SECRET)}
                    url, turn = self.webhooks[turn % len(self.webhooks)], turn + 1
                    status = 0
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        async with client.post(url, data=raw, headers=headers) as r:
                            await r.read()
                            status = r.status
                    if status == 200:
                        self.statuses_posted += len(batch)
                    else:
                        self.status_redeliveries += 1
                        self.due.extend((time.monotonic() + 1.0, obj) for obj in batch)

    async def media(self, request: web.Request) -> web.Response:
        await request.read()
        if time.monotonic() < self.storm_until:
            return self.storm()
        return web.json_response({"id": uuid.uuid4().hex[:16]})

    def storm(self) -> web.Response:
        """Meta's throughput error and its generic server error, as the Cloud API words them."""
        self.storm_errors += 1
        if self.storm_errors % 2:
            status, code, message = 429, 130429, "Rate limit hit"
        else:
            status, code, message = 500, 131000, "Something went wrong"
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "ALoad"}
        return web.json_response({"error": error}, status=status)

    async def serve(self, port: int) -> web.AppRunner:
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner


class StandInModel:
    """Groq's chat-completions API, answering in 300–800 ms like a hosted model would.

    It "understands" with the offline NLU and answers through the agent's output tool, wording the
    reply without amounts (the policy's output validator accepts it; the numbers stay the engine's).
    During a `model-hang` fault it never answers.
    """

    def __init__(self) -> None:
        from certobot.negotiation.nlu import understand

        self.app = FastAPI()
        self.calls = 0
        self.hang_until = 0.0

        @self.app.post("/openai/v1/chat/completions")
        async def completions(request: Request) -> dict[str, Any]:
            self.calls += 1
            body = await request.json()
            if time.monotonic() < self.hang_until:
                await asyncio.sleep(self.hang_until - time.monotonic() + 60)  # no answer; the bot gives up
            await asyncio.sleep(random.uniform(0.3, 0.8))
            user = next((m.get("content") for m in reversed(body["messages"]) if m["role"] == "user"), "") or ""
            heard = understand(str(user), date.today())
            reply = "Entendi! Posso fechar assim?"
            if heard.intent.value == "accept":
                reply = "Prontinho, acordo feito! O boleto chega já já."
            args: dict[str, Any] = {"intent": heard.intent.value, "reply": reply}
            if heard.installments:
                args["installments"] = heard.installments
            call = {"name": "final_result", "arguments": json.dumps(args)}
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
                                {"id": "call_" + uuid.uuid4().hex[:12], "type": "function", "function": call}
                            ],
                        },
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            }


class Cluster:
    """The processes under test, each started as an operator would, and the means to hurt them."""

    def __init__(self, args: argparse.Namespace, graph_port: int, model_port: int | None) -> None:
        self.args = args
        self.db = f"load_{os.getpid()}"
        self.redis_port, self.crm_port = free_port(), free_port()
        self.api_ports = [free_port() for _ in range(args.api_processes)]
        self.redis_proc: subprocess.Popen[bytes] | None = None
        self.crm: subprocess.Popen[bytes] | None = None
        self.apis: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        args.log.parent.mkdir(parents=True, exist_ok=True)
        self.log = args.log.open("ab")
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.db}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CRM_BASE_URL": f"http://127.0.0.1:{self.crm_port}",
            "CRM_API_KEY": CRM_KEY,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_ACCESS_TOKEN": "load",
            "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
            "WHATSAPP_API_BASE_URL": f"http://127.0.0.1:{graph_port}/v25.0",
            "CERTOBOT_MODEL": "rules",
            "MOCK_DEBTORS_COUNT": str(args.debtors),
            "LOG_LEVEL": "WARNING",
            "WHATSAPP_RATE_PER_SECOND": "1000",
            "FLOOD_LIMIT_PER_MINUTE": "1000",
            "CONVERSATION_TIMEOUT_SECONDS": str(args.conversation_timeout),
        }
        if model_port is not None:
            self.env.update(
                {
                    "CERTOBOT_MODEL": "groq:openai/gpt-oss-120b",
                    "GROQ_API_KEY": "gsk_load",
                    "GROQ_BASE_URL": f"http://127.0.0.1:{model_port}",
                }
            )

    def _spawn(self, argv: list[str], quiet: bool = False, **env: str) -> subprocess.Popen[bytes]:
        # The services' own logs (warnings during faults are expected) go to one file, not the screen.
        out = subprocess.DEVNULL if quiet else self.log
        return subprocess.Popen(argv, cwd=ROOT, env={**self.env, **env}, stdout=out, stderr=self.log)

    def start_redis(self) -> None:
        argv = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--loglevel", "warning"]
        self.redis_proc = self._spawn([*argv, "--save", "", "--appendonly", "no"], quiet=True)

    def start_crm(self) -> None:
        argv = [sys.executable, "-m", "uvicorn", "mock_crm.main:app", "--port", str(self.crm_port)]
        self.crm = self._spawn([*argv, "--log-level", "warning", "--no-access-log"], WHATSAPP_ACCESS_TOKEN=CRM_TOKEN)

    def start_api(self, i: int) -> subprocess.Popen[bytes]:
        app = "benchmarks.floor:app" if self.args.floor else "certobot.main:app"
        argv = [sys.executable, "-m", "uvicorn", app, "--port", str(self.api_ports[i])]
        own_workers = "false" if self.args.workers else "true"
        return self._spawn([*argv, "--log-level", "warning", "--no-access-log"], RUN_BACKGROUND_WORKERS=own_workers)

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self._spawn([sys.executable, "-m", "certobot.cli", "worker"])

    def fit_connections(self) -> None:
        """Share the server's `max_connections` out among the processes, as an operator must.

        At their defaults each bot process may open 40 and the CRM 31: one API with its workers fits
        a stock Postgres (100), two APIs and two workers do not (and a burst then fails turns with
        "too many clients", retried after the claim timeout). Whatever does not fit is shrunk, the
        same for every bot process, and said.
        """
        show = ["psql", f"{PG}/postgres", "-Atc", "SHOW max_connections"]
        server = int(subprocess.run(show, check=True, capture_output=True, text=True).stdout.strip())
        budget = server - 10  # superuser reserve, the load tool's own checks, psql
        bots = self.args.api_processes + self.args.workers
        bot_default = BotSettings.model_fields["database_max_connections"].default
        crm_default = CrmSettings.model_fields["database_max_connections"].default + 1  # and its LISTEN
        if bot_default * bots + crm_default <= budget:
            return
        crm = 16  # 15 and its LISTEN: one CRM process, a handful of statements per conversation
        per_bot = max(8, (budget - crm) // bots)
        pools = pool_split(per_bot)
        concurrency = min(16, pools.hot.size + pools.hot.overflow - 1)
        self.env.update(
            DATABASE_MAX_CONNECTIONS=str(per_bot),
            CRM_DATABASE_MAX_CONNECTIONS=str(crm - 1),
            WORKER_CONCURRENCY=str(concurrency),
        )
        print(
            f"max_connections {server}: {per_bot} per bot process (hot {pools.hot.size} + {pools.hot.overflow}, "
            f"ORM {pools.orm.size} + {pools.orm.overflow}), {concurrency} conversations at once each, CRM {crm}"
        )

    async def start(self) -> None:
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {self.db}"], check=True)
        self.fit_connections()
        self.start_redis()
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        self.start_crm()
        await self.wait_healthy(f"http://127.0.0.1:{self.crm_port}/health", within=600)  # seeding 10,000 takes a while
        self.apis = [self.start_api(i) for i in range(len(self.api_ports))]
        self.workers = [self.start_worker() for _ in range(self.args.workers)]
        for port in self.api_ports:
            await self.wait_healthy(f"http://127.0.0.1:{port}/health")

    @staticmethod
    async def wait_healthy(url: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=5) as probe:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):  # not listening yet
                    if (await probe.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{url} did not come up")

    async def debtors(self) -> list[dict[str, Any]]:
        conn = await asyncpg.connect(f"{PG}/{self.db}", server_settings=BOTH_SCHEMAS)
        try:
            rows = await conn.fetch("SELECT cpf, phone FROM crm_debtors ORDER BY cpf LIMIT $1", self.args.debtors)
        finally:
            await conn.close()
        # The CRM keeps CPF and phone sealed; the processes here run with the development keys.
        from mock_crm.sealed import SEAL as CRM_SEAL

        return [{"cpf": CRM_SEAL.open_text(r["cpf"]), "phone": CRM_SEAL.open_text(r["phone"])} for r in rows]

    async def live_conversations(self) -> int:
        conn = await asyncpg.connect(f"{PG}/{self.db}", server_settings=BOTH_SCHEMAS)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM conversations WHERE status IN ('active', 'handoff')"))
        except asyncpg.UndefinedTableError:  # the floor has no conversations
            return 0
        finally:
            await conn.close()

    async def postgres_backends(self) -> list[int]:
        """The Postgres processes serving this run's database (the bot's and the CRM's connections)."""
        conn = await asyncpg.connect(f"{PG}/postgres")
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", self.db
            )
        finally:
            await conn.close()
        return [int(r["pid"]) for r in rows]

    def cpu_seconds(self, postgres: list[int] | None = None) -> dict[str, float]:
        """CPU each kind of process has used so far (user + system, from /proc): the cost side.

        `postgres`: the backends of this run's database (`postgres_backends`). A backend opened during
        the load counts whole (its start is the load's cost); one closed during it is not seen."""
        tick = os.sysconf("SC_CLK_TCK")
        roles = {
            "api": [p.pid for p in self.apis if p is not None],
            "workers": [p.pid for p in self.workers if p is not None],
            "crm": [self.crm.pid] if self.crm is not None else [],
            "redis": [self.redis_proc.pid] if self.redis_proc is not None else [],
            "postgres": postgres or [],
        }
        used: dict[str, float] = {}
        for role, pids in roles.items():
            total = 0.0
            for pid in pids:
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / tick
            used[role] = total
        return used

    def stop(self) -> None:
        procs = [*self.apis, *self.workers, self.crm, self.redis_proc]
        for p in procs:
            if p is not None and p.poll() is None:
                p.terminate()
        for p in procs:
            if p is not None:
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.run(
            ["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)"], check=False
        )
        self.log.close()


async def chaos(cluster: Cluster, graph: Graph, model: StandInModel, args: argparse.Namespace, log: list[str]) -> None:
    """Inject the chosen fault once, `fault_at` seconds into the load."""
    if not args.fault:
        return
    await asyncio.sleep(args.fault_at)
    lasting = args.fault_for or DEFAULT_FAULT_FOR.get(args.fault, 5.0)
    log.append(f"{args.fault} at {args.fault_at:.0f} s for {lasting:.0f} s")
    if args.fault == "kill-api":
        cluster.apis[0].kill()
        cluster.apis[0].wait()
        await asyncio.sleep(lasting)
        cluster.apis[0] = cluster.start_api(0)
    elif args.fault == "kill-worker":
        cluster.workers[0].kill()
        cluster.workers[0].wait()
        await asyncio.sleep(lasting)
        cluster.workers[0] = cluster.start_worker()
    elif args.fault == "redis-restart":
        assert cluster.redis_proc is not None
        cluster.redis_proc.kill()
        cluster.redis_proc.wait()
        await asyncio.sleep(lasting)
        cluster.start_redis()  # empty: no stream, no group, no sessions, no locks
    elif args.fault == "crm-down":
        assert cluster.crm is not None
        cluster.crm.kill()
        cluster.crm.wait()
        await asyncio.sleep(lasting)
        cluster.start_crm()
    elif args.fault == "graph-storm":
        graph.storm_until = time.monotonic() + lasting
    elif args.fault == "model-hang":
        model.hang_until = time.monotonic() + lasting


async def deliver(client: aiohttp.ClientSession, raw: bytes, stats: dict[str, list[Any]]) -> bool:
    """Post a webhook like Meta does: anything but a 200, or no answer, is delivered again for a while."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, SECRET)}
    for _attempt in range(600):
        status = 0
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):  # no answer: delivered again
            async with client.post("/webhooks/whatsapp", data=raw, headers=headers) as r:
                await r.read()
                status = r.status
        if status == 200:
            return True
        stats["redelivered"].append(1)
        await asyncio.sleep(0.5)
    return False


async def debtor(
    client: aiohttp.ClientSession,
    graph: Graph,
    d: dict[str, Any],
    args: argparse.Namespace,
    stats: dict[str, list[Any]],
    *,
    starts_in: float,
) -> None:
    await asyncio.sleep(starts_in)
    turns, think = args.turns, args.think
    wa = d["phone"].lstrip("+")
    script = [t.format(cpf3=d["cpf"][:3]) for t in SCRIPT[:turns]]
    turn = 0
    asked_again = 0
    while turn < len(script):
        raw = json.dumps(text_webhook(wa, script[turn]), ensure_ascii=False).encode()
        t0 = time.perf_counter()
        if not await deliver(client, raw, stats):
            stats["rejected"].append(wa)
            return
        stats["accept"].append(time.perf_counter() - t0)
        try:
            at, reply = await asyncio.wait_for(graph.inbox[wa].get(), timeout=args.reply_timeout)
        except TimeoutError:
            stats["lost"].append((wa, turn))
            return
        stats["reply"].append(at - t0)
        stats[f"reply_turn_{turn + 1}"].append(at - t0)
        if think:
            await asyncio.sleep(random.uniform(0.5, 1.5) * think)  # reading and typing
        markers, count = EXPECT[turn]
        if turn == 1 and any(m in reply for m in ENDS_AT_IDENTITY):
            stats["ended_at_identity"].append(wa)
            break  # nothing to negotiate: the conversation is over for this debtor
        if any(m in reply for m in markers):
            for _ in range(count - 1):
                try:
                    await asyncio.wait_for(graph.inbox[wa].get(), timeout=args.reply_timeout)
                except TimeoutError:
                    stats["lost"].append((wa, turn))
                    return
            turn += 1
        elif turn == 3 and asked_again < 2:
            # The bot did not close: its session was rebuilt (Redis lost it) and it makes the offer
            # again, or asks how to pay. A person answers the question: confirms, or says it again.
            asked_again += 1
            stats["asked_again"].append((wa, reply[:60]))
            if EXPECT[2][0][0] not in reply:
                turn = 2
        else:
            stats["out_of_order"].append((wa, turn, reply[:60]))
            turn += 1
    stats["finished"].append(wa)


async def sample_redis(url: str, stop: asyncio.Event, peak: dict[str, int]) -> None:
    """Follow Redis's memory and the number of live sessions; keep the moment with the most sessions."""
    redis = Redis.from_url(url)
    try:
        while not stop.is_set():
            with contextlib.suppress(RedisError):  # Redis restarting during a fault run: sample later
                await _sample(redis, peak)
            await asyncio.sleep(2)
    finally:
        await redis.aclose()


async def _sample(redis: Redis, peak: dict[str, int]) -> None:
    info = await redis.info("memory")
    peak.setdefault("baseline", int(info["used_memory"]))
    sessions = 0
    async for _ in redis.scan_iter(match="certobot:session:*", count=1000):
        sessions += 1
    if sessions < peak.get("sessions", 0):
        return
    peak.update(sessions=sessions, used=int(info["used_memory"]))
    sizes = []
    async for key in redis.scan_iter(match="certobot:session:*", count=100):
        sizes.append(int(await redis.memory_usage(key) or 0))
        if len(sizes) >= 50:
            break
    if sizes:
        peak["session_key_bytes"] = int(statistics.mean(sizes))


async def redis_breakdown(url: str, sessions: int) -> dict[str, int]:
    """Bytes per live session, by kind of key (Redis's own MEMORY USAGE of every key)."""
    redis = Redis.from_url(url)
    sizes: dict[str, int] = defaultdict(int)
    try:
        keys = [key async for key in redis.scan_iter(count=1000)]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            async with redis.pipeline(transaction=False) as pipe:
                for key in chunk:
                    pipe.memory_usage(key)
                used = await pipe.execute()
            for key, n in zip(chunk, used, strict=True):
                name = key.decode()
                kind = ":".join(p for p in name.split(":")[:3] if not any(c.isdigit() for c in p))
                sizes[kind] += int(n or 0)
    finally:
        await redis.aclose()
    return {kind: total // max(1, sessions) for kind, total in sorted(sizes.items(), key=lambda kv: -kv[1])}


async def check_outcomes(cluster: Cluster, graph: Graph, finished: set[str], settle: float) -> dict[str, Any]:
    """Every conversation with exactly one outcome in the CRM; one conversation per debtor; one boleto each."""
    conn = await asyncpg.connect(f"{PG}/{cluster.db}", server_settings=BOTH_SCHEMAS)
    try:
        started = time.monotonic()
        deadline = started + settle
        while True:
            rows = await conn.fetch(
                """SELECT c.id, c.phone_key, c.status, count(r.id) AS outcomes, max(r.outcome) AS outcome
                   FROM conversations c LEFT JOIN crm_negotiation_results r ON r.session_id = c.id
                   GROUP BY c.id, c.phone_key, c.status"""
            )
            boletos = await conn.fetchval(
                "SELECT count(*) FROM crm_boleto_deliveries WHERE document_wamid IS NOT NULL AND pix_wamid IS NOT NULL"
            )
            agreed = sum(1 for r in rows if r["outcome"] == "successful")
            settled = all(r["outcomes"] >= 1 for r in rows) and boletos >= agreed
            if settled or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        waited = round(time.monotonic() - started, 1)
        per_debtor: dict[str, int] = defaultdict(int)
        for r in rows:
            per_debtor[r["phone_key"]] += 1
        several = [k for k, n in per_debtor.items() if n > 1][:3]
        examples = await conn.fetch(
            """SELECT phone_key, status, phase, origin, outcome_kind, validation_attempts, created_at::text
               FROM conversations WHERE phone_key = ANY($1::text[]) ORDER BY phone_key, created_at""",
            several,
        )
    finally:
        await conn.close()
    return {
        "conversations": len(rows),
        # After the last reply, how long the outcomes and the boletos took to be all there (after a
        # kill: the rows the dead process had leased).
        "outcomes_settled_after_s": waited if settled else None,
        "with_one_outcome": sum(1 for r in rows if r["outcomes"] == 1),
        "without_outcome": sum(1 for r in rows if r["outcomes"] == 0),
        "with_several_outcomes": sum(1 for r in rows if r["outcomes"] > 1),
        "debtors_with_several_conversations": sum(1 for n in per_debtor.values() if n > 1),
        "several_conversations_examples": [dict(r) for r in examples],
        "agreements": agreed,
        "boletos_delivered": int(boletos),
        "boleto_documents_sent": sum(graph.documents.values()),
        "boleto_documents_sent_twice": sum(1 for n in graph.documents.values() if n > 1),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    graph, model = Graph(), StandInModel()
    gport, mport = free_port(), free_port()
    graph_runner = await graph.serve(gport)
    servers = []
    if args.model:
        config = uvicorn.Config(model.app, port=mport, log_level="warning", timeout_graceful_shutdown=1)
        servers.append(uvicorn.Server(config))
    server_tasks = [asyncio.create_task(s.serve()) for s in servers]
    cluster = Cluster(args, gport, mport if args.model else None)
    if not (args.floor or args.no_statuses):  # the floor reads every webhook as a message: no statuses
        graph.webhooks = [f"http://127.0.0.1:{p}/webhooks/whatsapp" for p in cluster.api_ports]
    reporter: asyncio.Task[None] | None = None
    try:
        await cluster.start()
        reporter = asyncio.create_task(graph.report_statuses())
        items = await cluster.debtors()
        stats: dict[str, list[Any]] = defaultdict(list)
        clients = [
            aiohttp.ClientSession(
                base_url=f"http://127.0.0.1:{p}",
                connector=aiohttp.TCPConnector(limit=args.concurrency),
                timeout=aiohttp.ClientTimeout(total=60),
            )
            for p in cluster.api_ports
        ]
        faults: list[str] = []
        stop_sampling = asyncio.Event()
        peak: dict[str, int] = {}
        sampler = asyncio.create_task(sample_redis(cluster.env["REDIS_URL"], stop_sampling, peak))
        backends = await cluster.postgres_backends()
        cpu_before, own_before = cluster.cpu_seconds(backends), time.process_time()
        start = time.perf_counter()
        await asyncio.gather(
            chaos(cluster, graph, model, args, faults),
            *(
                debtor(
                    clients[i % len(clients)],
                    graph,
                    d,
                    args,
                    stats,
                    starts_in=i / args.arrival_rate if args.arrival_rate else 0.0,
                )
                for i, d in enumerate(items)
            ),
        )
        elapsed = time.perf_counter() - start
        # Postgres's side: the backends that served the load, those opened during it included.
        backends = sorted({*backends, *await cluster.postgres_backends()})
        cpu = {role: sec - cpu_before.get(role, 0.0) for role, sec in cluster.cpu_seconds(backends).items()}
        messages = max(1, len(stats["accept"]))
        await asyncio.sleep(3)  # anything more for a phone now would be a second answer
        stop_sampling.set()
        await sampler
        breakdown = await redis_breakdown(cluster.env["REDIS_URL"], peak.get("sessions", 0))
        live = await cluster.live_conversations()
        for wa, queue in graph.inbox.items():
            while not queue.empty():
                stats["duplicates"].append((wa, queue.get_nowait()[1][:60]))
        for c in clients:
            await c.close()
        result: dict[str, Any] = {
            "engine": "floor" if args.floor else ("stand-in model 300-800 ms" if args.model else "offline rules"),
            "debtors": len(items),
            "arrival": f"{args.arrival_rate:g} debtors/s, {args.think:g} s to answer"
            if args.arrival_rate
            else "all at once",
            "turns": args.turns,
            "api_processes": args.api_processes,
            "workers": args.workers or "in the API processes",
            "fault": faults[0] if faults else None,
            "messages": len(stats["accept"]),
            "accept_p50_ms": pct(stats["accept"], 50),
            "accept_p99_ms": pct(stats["accept"], 99),
            "reply_p50_ms": pct(stats["reply"], 50),
            "reply_p99_ms": pct(stats["reply"], 99),
            # By the debtor's message: the first ("oi") opens the conversation and asks the CRM.
            "reply_p50_p99_ms_by_turn": {
                n: (pct(stats[f"reply_turn_{n}"], 50), pct(stats[f"reply_turn_{n}"], 99))
                for n in range(1, args.turns + 1)
            },
            "messages_per_s": round(len(stats["accept"]) / elapsed, 1),
            "cpu_ms_per_message": {role: round(sec * 1000 / messages, 1) for role, sec in cpu.items() if sec},
            "load_generator_cpu_ms_per_message": round((time.process_time() - own_before) * 1000 / messages, 1),
            "lost": len(stats["lost"]),
            "duplicates": len(stats["duplicates"]),
            "duplicate_examples": stats["duplicates"][:3],
            "out_of_order": len(stats["out_of_order"]),
            "rejected": len(stats["rejected"]),
            "redelivered": len(stats["redelivered"]),
            "ended_at_identity": len(stats["ended_at_identity"]),
            "asked_again": len(stats["asked_again"]),
            "asked_again_examples": stats["asked_again"][:3],
            "out_of_order_examples": stats["out_of_order"][:3],
            "graph_errors_injected": graph.storm_errors,
            "statuses_posted": graph.statuses_posted,
            "status_webhooks_redelivered": graph.status_redeliveries,
            "model_calls": model.calls,
            "live_conversations_at_end": live,
            "redis_peak_live_sessions": peak.get("sessions", 0),
            "redis_used_memory_at_peak_mb": round(peak.get("used", 0) / 2**20, 1),
            "redis_bytes_per_session_key": peak.get("session_key_bytes", 0),
            "redis_bytes_per_session_by_key_kind": breakdown,
            "redis_bytes_per_live_session_all_keys": (
                (peak.get("used", 0) - peak.get("baseline", 0)) // peak["sessions"] if peak.get("sessions") else 0
            ),
        }
        if not args.floor and args.turns == len(SCRIPT):
            result.update(await check_outcomes(cluster, graph, set(stats["finished"]), args.settle))
            # The CPU again once the outcomes and boletos are all there: what the conversations cost
            # whole, the work after the last reply included (the CRM's outcomes, boletos and their
            # delivery). `cpu_ms_per_message` stops at the last reply, so a change that does that
            # work sooner moves it into that figure; compare versions on this one.
            backends = sorted({*backends, *await cluster.postgres_backends()})
            settled = cluster.cpu_seconds(backends)
            result["cpu_ms_per_message_settled"] = {
                role: round((sec - cpu_before.get(role, 0.0)) * 1000 / messages, 1)
                for role, sec in settled.items()
                if sec - cpu_before.get(role, 0.0)
            }
        return result
    finally:
        if reporter is not None:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
        cluster.stop()
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*server_tasks)
        await graph_runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debtors", type=int, default=300)
    parser.add_argument("--turns", type=int, default=len(SCRIPT), choices=range(1, len(SCRIPT) + 1))
    parser.add_argument("--api-processes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0, help="separate `certobot worker` processes (0: in the API)")
    parser.add_argument("--arrival-rate", type=float, default=0.0, help="debtors starting per second (0: all at once)")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds a debtor takes to answer a reply")
    parser.add_argument("--concurrency", type=int, default=100, help="connections per API process")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--model", action="store_true", help="a stand-in Groq answering in 300-800 ms")
    parser.add_argument("--floor", action="store_true", help="run the load against benchmarks/floor.py instead")
    parser.add_argument(
        "--no-statuses", action="store_true", help="the Graph stand-in posts no status webhooks (as before; to compare)"
    )
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument("--fault-at", type=float, default=5.0)
    parser.add_argument("--fault-for", type=float, default=0.0, help="default: 60 s CRM, 20 s storm/hang, else 5 s")
    parser.add_argument("--log", type=Path, default=ROOT / "artifacts" / "loadtest.log", help="the services' logs")
    parser.add_argument("--reply-timeout", type=float, default=240.0, help="seconds after which a reply is lost")
    parser.add_argument(
        "--conversation-timeout", type=int, default=180, help="the bot's CONVERSATION_TIMEOUT_SECONDS (live how long)"
    )
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to wait for outcomes and boletos")
    args = parser.parse_args()
    if args.fault == "kill-worker" and not args.workers:
        parser.error("--fault kill-worker needs --workers 1 or more")
    if args.fault == "model-hang" and not args.model:
        parser.error("--fault model-hang needs --model")
    result = asyncio.run(main_async(args))
    for k, v in result.items():
        print(f"{k:>36}: {v}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
