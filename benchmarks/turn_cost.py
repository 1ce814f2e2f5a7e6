"""Where a turn's time goes: SQL statements, transactions, Redis commands and CPU, per turn.

Runs the real bot and CRM in this process (real Postgres and Redis, the Graph API stand-in of the
tests), lives one whole conversation through signed webhooks and counts, for each turn, what the bot
and the CRM did: statements by kind, transactions, Redis commands (from Redis's own commandstats)
and the CPU time of the process. The counts are exact and do not depend on the machine's load.

    uv run python benchmarks/turn_cost.py [--json artifacts/turn_cost.json] [--redis-port 6379]

Redis's commandstats are the whole server's: run it against a Redis nobody else is using.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from tests.e2e.conftest import make_stack

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TURNS = ["oi", "{cpf3}", "quero pagar à vista", "fechou"]


class SqlCounter:
    """Counts statements per service (bot or CRM, told apart by the engine's pool) and kind."""

    def __init__(self) -> None:
        self.by_kind: Counter[str] = Counter()
        self.engines: dict[int, str] = {}
        event.listen(Engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        service = self.engines.get(id(conn.engine), "?")
        words = statement.split()
        verb = words[0].upper() if words else "?"
        table = ""
        m = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.IGNORECASE)
        if m:
            table = m.group(1)
        self.by_kind[f"{service} {verb} {table}".strip()] += 1

    def take(self) -> Counter[str]:
        out, self.by_kind = self.by_kind, Counter()
        return out


REDIS_PORT = 6379


def redis_commands() -> Counter[str]:
    raw = subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), "INFO", "commandstats"], capture_output=True, text=True, check=True
    ).stdout
    return Counter({m.group(1): int(m.group(2)) for m in re.finditer(r"cmdstat_(\w+):calls=(\d+)", raw)})


async def run() -> dict[str, Any]:
    name = f"turncost_{os.getpid()}"
    subprocess.run(["psql", ADMIN, "-qc", f"CREATE DATABASE {name}"], check=True)
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    counter = SqlCounter()
    turns: list[dict[str, Any]] = []
    try:
        async with make_stack(url, f"redis://127.0.0.1:{REDIS_PORT}/12", crm_seed=1) as stack:
            counter.engines[id(stack.bot_app.state.resources.engine.sync_engine)] = "bot"
            debtor = (await stack.crm.get("/api/debtors")).json()["items"][0]
            phone = debtor["phone"].lstrip("+")
            await stack.say(phone, "oi")  # warm caches and compiled statements; not counted
            await asyncio.sleep(0.5)
            subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "-n", "12", "FLUSHDB"], check=True, capture_output=True)
            await _fresh_phone(stack, phone)
            for template in TURNS:
                text = template.format(cpf3=debtor["cpf"][:3])
                counter.take()
                before_redis = redis_commands()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                replies = await stack.say(phone, text, wait=15)
                await asyncio.sleep(1.0)  # let the outbox, the CRM and the boleto delivery settle
                cpu = time.process_time() - cpu0
                sql = counter.take()
                redis = redis_commands() - before_redis
                turns.append(
                    {
                        "text": text if template != "{cpf3}" else "***",
                        "reply": (replies[0][:50] if replies else ""),
                        "bot_statements": sum(n for k, n in sql.items() if k.startswith("bot ")),
                        "crm_statements": sum(n for k, n in sql.items() if not k.startswith("bot ")),
                        "bot_commits": sql.get("bot COMMIT", 0),
                        "redis_commands": sum(redis.values()),
                        "cpu_ms_including_idle_wait": round(cpu * 1000, 1),
                        "wall_ms": round((time.perf_counter() - wall0 - 1.0) * 1000, 1),
                        "statements": dict(sorted(sql.items())),
                        "redis": dict(sorted(redis.items())),
                    }
                )
    finally:
        subprocess.run(["psql", ADMIN, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)
    return {"turns": turns}


async def _fresh_phone(stack: Any, phone: str) -> None:
    """Start the measured conversation from nothing: forget the warm-up one."""
    async with stack.bot_app.state.resources.engine.begin() as conn:
        for table in ("outbox", "messages", "validation_attempts", "conversations", "inbound_events"):
            await conn.execute(text(f"DELETE FROM {table}"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path)
    parser.add_argument("--redis-port", type=int, default=6379)
    args = parser.parse_args()
    global REDIS_PORT
    REDIS_PORT = args.redis_port
    result = asyncio.run(run())
    print(f"{'turn':<22}{'bot SQL':>8}{'CRM SQL':>8}{'Redis':>7}{'CPU ms':>8}  reply")
    for t in result["turns"]:
        print(
            f"{t['text']:<22}{t['bot_statements']:>8}{t['crm_statements']:>8}{t['redis_commands']:>7}"
            f"{t['cpu_ms_including_idle_wait']:>8}  {t['reply']}"
        )
    for t in result["turns"]:
        print(f"\n{t['text']}:")
        for k, n in t["statements"].items():
            print(f"  {n:>3} {k}")
        print("  redis:", t["redis"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
