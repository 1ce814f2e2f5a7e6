"""The dependency audit tells "nothing found" from "nothing could be checked"."""

from __future__ import annotations

import json

from scripts.audit_deps import judge


def report(*deps: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


def test_every_dependency_skipped_is_an_unreachable_database_not_a_pass() -> None:
    # what pip-audit prints, with exit code 0, when PyPI's versioned JSON API is not served
    out = report(
        {"name": "typer", "skip_reason": "Dependency not found on PyPI and could not be audited: typer (0.29.2)"},
        {"name": "uvicorn", "skip_reason": "Dependency not found on PyPI and could not be audited: uvicorn (0.54)"},
    )
    v = judge(0, out, "No known vulnerabilities found")
    assert v.unreachable == "nenhuma das 2 dependências foi encontrada na base consultada"


def test_a_connection_error_is_an_unreachable_database() -> None:
    v = judge(1, "", "Traceback ...\nrequests.exceptions.ConnectionError: api.osv.dev")
    assert v.unreachable is not None
    assert "ConnectionError" in v.unreachable


def test_a_vulnerability_is_reported_with_its_fix() -> None:
    out = report(
        {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
        {"name": "typer", "version": "0.12.0", "vulns": []},
    )
    v = judge(1, out, "")
    assert v.unreachable is None
    assert v.audited == 2
    assert v.vulnerable == ["jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (corrigido em: 3.1.3)"]
