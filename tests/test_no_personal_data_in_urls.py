"""No CPF or phone in URLs or access logs: debtors have an opaque id for paths, CPF lookups go in a
POST body, and uvicorn's access log masks whatever a caller still puts in a URL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from certobot.crm.client import CrmClient
from certobot.crm.schemas import ContactRequest
from mock_crm.main import create_app
from tests.conftest import CRM_KEY, crm_settings
from tests.e2e.conftest import make_stack
from tests.factories import create_debtor, make_cpf
from tests.ports import free_port


async def test_debtor_by_opaque_id_and_cpf_lookup_in_the_body(crm: httpx.AsyncClient) -> None:
    d = await create_debtor(crm)
    assert re.fullmatch(r"[0-9a-f]{32}", d["id"])
    found = await crm.post("/api/debtors/lookup", json={"cpf": d["cpf"]})
    assert found.status_code == 200
    assert found.json()["id"] == d["id"]
    assert (await crm.get(f"/api/debtors/{d['id']}")).json()["cpf"] == d["cpf"]
    assert (await crm.put(f"/api/debtors/{d['id']}", json={"name": "Fulana de Tal"})).json()["name"] == "Fulana de Tal"
    contact = await crm.post(f"/api/debtors/{d['id']}/contacts", json={"kind": "attempt"})
    assert contact.status_code == 201
    assert (await crm.get(f"/api/debtors/{'0' * 32}")).status_code == 404
    unknown = await crm.post("/api/debtors/lookup", json={"cpf": make_cpf()})
    assert unknown.status_code == 404
    bad = await crm.post("/api/debtors/lookup", json={"cpf": "123"})
    assert bad.status_code == 422
    assert "CPF" in bad.json()["detail"]


async def test_lookup_by_phone_in_the_body(crm: httpx.AsyncClient) -> None:
    d = await create_debtor(crm, phone="+5511987651234")
    for phone in ("+5511987651234", "5511987651234", "551187651234"):  # E.164, as WhatsApp sends, no 9th digit
        found = await crm.post("/api/debtors/lookup", json={"phone": phone})
        assert found.status_code == 200, found.text
        assert found.json()["id"] == d["id"]
    nobody = await crm.post("/api/debtors/lookup", json={"phone": "5511912349876"})
    assert nobody.status_code == 404
    assert nobody.json()["detail"] == "Nenhum devedor cadastrado com este telefone."
    bad = await crm.post("/api/debtors/lookup", json={"phone": "123"})
    assert bad.status_code == 422
    assert "Telefone" in bad.json()["detail"]
    for body in ({}, {"cpf": d["cpf"], "phone": "5511987651234"}):
        either = await crm.post("/api/debtors/lookup", json=body)
        assert either.status_code == 422
        assert "CPF ou o telefone" in either.json()["detail"]


async def test_bot_client_puts_no_cpf_or_phone_in_any_url(database_url: str, redis_url: str) -> None:
    app = create_app(crm_settings(database_url))
    urls: list[str] = []
    keyed: list[str] = []

    async def record(request: httpx.Request) -> None:
        urls.append(str(request.url))
        if "idempotency-key" in request.headers:
            keyed.append(request.url.path)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, event_hooks={"request": [record]}) as http:
            setup = httpx.AsyncClient(
                transport=transport, base_url="http://crm", headers={"Authorization": f"Bearer {CRM_KEY}"}
            )
            async with setup:
                d = await create_debtor(setup)
            redis = aioredis.from_url(redis_url)
            try:
                client = CrmClient(http, "http://crm", CRM_KEY, redis)
                by_phone = await client.find_by_phone(d["phone"].lstrip("+"))  # a new debtor: not cached
                assert by_phone is not None
                assert by_phone.id == d["id"]
                debtor = await client.get_debtor(d["cpf"], fresh=True)
                assert debtor is not None
                assert debtor.id == d["id"]
                await client.log_contact(d["cpf"], ContactRequest(kind="attempt"))
            finally:
                await redis.aclose()
    assert len(urls) >= 3
    digits, phone = d["cpf"], d["phone"].lstrip("+")
    assert [u for u in urls if digits in u or digits[:3] + "." in u or phone[-8:] in u] == []
    # The lookups only ask: no idempotency reservation (and no stored copy of the record) for them.
    assert keyed == [f"/api/debtors/{d['id']}/contacts"]


@pytest.mark.parametrize("service", ["mock_crm", "certobot"])
def test_uvicorn_access_log_prints_no_cpf_or_phone(service: str, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL") and k not in ("REDIS_URL", "LOG_FILE")}
    env.update(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
            "CRM_API_KEY": "k",
            "CERTOBOT_API_KEY": "op",
            "RUN_BACKGROUND_WORKERS": "false",
            "CERTOBOT_MODEL": "rules",
        }
    )
    migrated = subprocess.run([sys.executable, "-m", f"{service}.migrate"], env=env, cwd=tmp_path, capture_output=True)
    assert migrated.returncode == 0, migrated.stderr
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", f"{service}.main:app", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    cpf, phone = "11144477735", "5511987654321"
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.25)
        paths = (
            [f"/api/debtors/{cpf}", "/api/debtors/111.444.777-35", f"/api/debtors?phone=%2B{phone}"]
            if service == "mock_crm"
            else [f"/api/conversations?phone=%2B{phone}", f"/api/conversations?phone={phone}&x={cpf}"]
        )
        key = "k" if service == "mock_crm" else "op"
        for path in paths:
            httpx.get(base + path, headers={"Authorization": f"Bearer {key}"})
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = log.read_text(errors="replace")
    assert '"GET /api/' in text  # the access log is on, and saw the requests
    assert cpf not in text
    assert "444.777" not in text
    assert phone not in text


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


# Only what the outside contract (CONTRACT.md) fixes: a phone filter on two lists, and the CRM's debtor
# routes named `{cpf}`, which take the opaque id (what our own clients send) or, for compatibility, a CPF.
# The access log masks all of them (the test above).
CONTRACT_ROUTES = {
    ("GET", "/api/conversations"),
    ("GET", "/api/debtors"),
    ("GET", "/api/debtors/{cpf}"),
    ("PUT", "/api/debtors/{cpf}"),
    ("GET", "/api/debtors/{cpf}/contacts"),
    ("POST", "/api/debtors/{cpf}/contacts"),
}


async def test_no_route_of_either_service_takes_a_phone_or_cpf_in_its_url(database_url: str, redis_url: str) -> None:
    """Every route mounted outside production, the simulator's included: a phone or CPF goes in a body."""
    found: set[tuple[str, str]] = set()
    async with make_stack(database_url, redis_url) as stack:
        crm_app = stack.crm._transport.app  # type: ignore[attr-defined]
        for app in (stack.bot_app, crm_app):
            # FastAPI 0.165 includes routers lazily: its own public walk yields every effective route.
            routes = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
            assert "/simulator/api/messages" in {c.path for c in routes} or app is crm_app  # the demo routes too
            for route in routes:
                personal = {n for n in _query_names(route.dependant) if re.search(r"phone|cpf|wa_id|telefone", n)}
                personal |= {
                    n
                    for n in re.findall(r"{(\w+)}", route.path)
                    if re.search(r"phone|cpf|wa_id", n) and n != "phone_number_id"
                }
                found |= {(m, route.path) for m in route.methods for _ in personal}
        chat = await stack.bot.post("/simulator/api/messages", json={"phone": "5511987654321"})
        assert chat.status_code == 404  # a real token: no sandbox chat, but the route reads its phone from a body
    assert found == CONTRACT_ROUTES
