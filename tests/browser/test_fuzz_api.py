"""Schemathesis against both services' OpenAPI specs, over real HTTP: no input makes a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ST = str(Path(sys.executable).parent / "schemathesis")


@pytest.mark.parametrize(("service", "key"), [(1, "dev-crm-key"), (0, "dev-operator-key")], ids=["crm", "bot"])
def test_no_server_errors(local_urls: tuple[str, str], service: int, key: str) -> None:
    url = local_urls[service]
    proc = subprocess.run(
        [
            ST,
            "run",
            f"{url}/openapi.json",
            "-H",
            f"Authorization: Bearer {key}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "20261122",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, tail
    assert "failed" not in tail.split("Test cases:")[-1], tail
