"""The CRM's CPU per conversation, in one process, away from the noise of a shared machine's load test.

What the bot asks of the CRM in a whole conversation that ends in an agreement, for N debtors one
after another: the lookup by phone ("oi"), the lookup by CPF, the outcome POST (with its
Idempotency-Key, as the bot's outbox sends it) that issues the boleto and renders its PDF, and the
delivery on WhatsApp (document, then the PIX code) to a Graph API stand-in. The app runs in this
process behind httpx's ASGI transport against a Postgres database of its own; the figure is this
process's CPU time (the PDF thread included) per conversation, and Postgres round trips counted.
The client's own CPU is in it too: compare runs of two versions, not with the load test's figure.
Also per phase: the two lookups, the outcome POST (boleto and PDF included), the delivery.

    taskset -c 0 uv run python benchmarks/crm_conversation.py [N]

Against another version of the CRM (the same script, that version's packages first on the path):

    PYTHONPATH=/tmp/crm-before taskset -c 1 uv run python benchmarks/crm_conversation.py [N]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr
from sqlalchemy import event

from certokit.clock import today_sp
from mock_crm.boletos.delivery import deliver_due
from mock_crm.main import create_app
from mock_crm.settings import CrmSettings
from tests.factories import create_debtor
from tests.fakes import FakeGraph

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"
KEY = "bench-crm-key"


def outcome(cpf: str) -> dict[str, object]:
    return {
        "session_id": str(uuid.uuid4()),
        "debtor_cpf": cpf,
        "outcome": "successful",
        "agreed_amount": "1000.00",
        "discount_amount": "500.00",
        "installments": 1,
        "payment_date": (today_sp() + timedelta(days=3)).isoformat(),
        "payment_method": "boleto",
        "interaction_timestamp": "2026-11-22T14:03:00Z",
        "duration": 240,
        "language": "pt-BR",
    }


PHASES = ("lookups", "outcome", "delivery")
spent: dict[str, float] = dict.fromkeys(PHASES, 0.0)  # CPU seconds per phase, measured part only


async def conversations(url: str, count: int) -> tuple[float, float]:
    """(CPU ms per conversation, Postgres round trips per conversation); per phase in `spent`."""
    settings = CrmSettings(
        _env_file=None,
        database_url=url,
        crm_api_key=SecretStr(KEY),
        mock_debtors_count=0,
        run_background_workers=False,
        whatsapp_access_token=SecretStr("token"),
        whatsapp_phone_number_id="106540352242922",
        whatsapp_api_base_url="http://graph.test/v25.0",
        log_level="WARNING",
    )
    graph = FakeGraph()
    app = create_app(settings, graph_http=httpx.AsyncClient(transport=graph.transport))
    async with app.router.lifespan_context(app):
        trips = 0

        def one(*_: object) -> None:
            nonlocal trips
            trips += 1

        sync = app.state.engine.sync_engine
        for name in ("before_cursor_execute", "begin", "commit"):
            event.listen(sync, name, one)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {KEY}"},
        ) as crm:
            debtors = [await create_debtor(crm, debt="1500.00") for _ in range(count + 5)]
            for d in debtors[:5]:  # warm-up: imports, fonts, compiled statements
                await converse(crm, d)
            await deliver_all(app, settings)
            cpu, trips = time.process_time(), 0
            spent.update(dict.fromkeys(PHASES, 0.0))
            for d in debtors[5:]:
                await converse(crm, d)
            await deliver_all(app, settings)
            cpu = time.process_time() - cpu
    assert len([s for s in graph.sent if s.path.endswith("/messages")]) == 2 * (count + 5), "not all delivered"
    return cpu * 1000 / count, trips / count


async def converse(crm: httpx.AsyncClient, d: dict[str, Any]) -> None:
    started = time.process_time()
    looked = (
        await crm.get("/api/debtors", params={"phone": d["phone"], "page_size": 1}),
        await crm.post("/api/debtors/lookup", json={"cpf": d["cpf"]}),
    )
    middle = time.process_time()
    result = await crm.post(
        "/api/negotiations/results", json=outcome(str(d["cpf"])), headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    spent["lookups"] += middle - started
    spent["outcome"] += time.process_time() - middle
    for r in (*looked, result):
        assert r.status_code in (200, 201), r.text


async def deliver_all(app: object, settings: CrmSettings) -> None:
    state = app.state  # type: ignore[attr-defined]
    started = time.process_time()
    while await deliver_due(state.sessionmaker, state.whatsapp, settings, limit=50):
        pass
    spent["delivery"] += time.process_time() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    db = f"crm_bench_{os.getpid()}"
    subprocess.run(["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {db}"], check=True)
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
    try:
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)
        cpu, trips = asyncio.run(conversations(url, count))
        print(f"{count} conversas: {cpu:.2f} ms de CPU por conversa, {trips:.1f} idas e voltas ao Postgres")
        print("  por fase (ms/conversa): " + ", ".join(f"{p} {spent[p] * 1000 / count:.2f}" for p in PHASES))
    finally:
        asyncio.run(drop(db))


async def drop(db: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
