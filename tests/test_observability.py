"""Logs without personal data, request ids, health, readiness and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from scripts.scan_logs import scan
from tests.factories import create_debtor


def test_scanner_finds_a_cpf_in_clear(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text('{"event": "ok"}\n{"event": "oops 111.444.777-35"}\n{"n": 12345678901}\n', encoding="utf-8")
    assert [n for n, _ in scan(log)] == [2]


async def test_requests_are_logged_with_an_id_and_no_cpf(database_url: str, engine: object, tmp_path: Path) -> None:
    from mock_crm.main import create_app
    from tests.conftest import CRM_KEY, crm_settings

    log = tmp_path / "crm.log"
    app = create_app(crm_settings(database_url, log_file=str(log)))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {CRM_KEY}"},
        ) as crm,
    ):
        d = await create_debtor(crm)
        r = await crm.get(f"/api/debtors/{d['cpf']}", headers={"X-Request-ID": "abc123"})
        assert r.headers["x-request-id"] == "abc123"
    text = log.read_text(encoding="utf-8")
    mine = [x for x in map(json.loads, text.splitlines()) if x.get("request_id") == "abc123"]
    assert mine
    assert mine[0]["status"] == 200
    assert mine[0]["path"] == "/api/debtors/***.***.***-**"
    assert d["cpf"] not in text
    assert d["phone"] not in text
    assert scan(log) == []


def test_request_ids_read_the_same_in_the_header_and_the_log(monkeypatch: object) -> None:
    """A generated id never looks like a phone or CPF (the scrubber would mask it in the log and the
    operator could not find the request); a caller's id carrying one is replaced, not echoed."""
    import uuid

    from certokit import requestlog
    from certokit.logging import scrub

    digits = uuid.UUID("a11987654321cdef0f3c9e7a5b2d4c6e")  # eleven digits in a row, as uuid4 sometimes gives
    fresh = uuid.UUID("0f3c9e7a5b2d4c6e8a1b3d5f7a9c2e4b")
    given = iter([digits, fresh])
    monkeypatch.setattr(requestlog.uuid, "uuid4", lambda: next(given))  # type: ignore[attr-defined]
    assert scrub(digits.hex) != digits.hex
    assert requestlog.request_id_for("") == fresh.hex
    assert requestlog.request_id_for("abc123") == "abc123"
    monkeypatch.setattr(requestlog.uuid, "uuid4", lambda: fresh)  # type: ignore[attr-defined]
    assert requestlog.request_id_for("cliente-111.444.777-35") == fresh.hex
