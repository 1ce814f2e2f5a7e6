"""The two services are separate: neither imports the other, both stand on the kernel alone.

Two checks: every import statement in each package (parsed, so a lazy import inside a function
counts too), and each service started for real in a Python where the other package cannot be
imported at all: migrated, served through its lifespan, answering `/health`.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "certobot": ROOT / "certobot",
    "mock_crm": ROOT / "mock_crm",
    "certokit": ROOT / "packages" / "certokit" / "certokit",
}
# Who may import whom: the kernel neither service; each service only the kernel.
FORBIDDEN = {"certobot": {"mock_crm"}, "mock_crm": {"certobot"}, "certokit": {"certobot", "mock_crm"}}


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_crosses_a_service_boundary(package: str) -> None:
    crossings = [
        f"{path.relative_to(ROOT)} importa {root}"
        for path in sorted(PACKAGES[package].rglob("*.py"))
        for root in sorted(_imported_roots(path) & FORBIDDEN[package])
    ]
    assert crossings == []


# Runs in a fresh interpreter that refuses to import the other service, as if it were not installed.
_ALONE = """
import asyncio, sys
from importlib.abc import MetaPathFinder

class Absent(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == {absent!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}")
        return None

sys.meta_path.insert(0, Absent())
import httpx
import {package}.main, {package}.cli
from {package}.migrate import upgrade

upgrade({url!r})

async def main():
    app = {package}.main.create_app()
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get("/health")
            print(r.status_code)
    print(sorted(m for m in sys.modules if m.split(".")[0] == {absent!r}))

asyncio.run(main())
"""


@pytest.mark.parametrize(("package", "absent"), [("mock_crm", "certobot"), ("certobot", "mock_crm")])
def test_each_service_runs_without_the_other_installed(package: str, absent: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/{package}.db"
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL") and k not in ("REDIS_URL", "GROQ_API_KEY")
    }
    env.update(
        {
            "DATABASE_URL": url,
            "MOCK_DEBTORS_COUNT": "3",
            "RUN_BACKGROUND_WORKERS": "false",
            "CERTOBOT_MODEL": "rules",
            "LOG_FILE": "",
        }
    )
    env.pop("LOG_FILE")
    proc = subprocess.run(
        [sys.executable, "-c", _ALONE.format(package=package, absent=absent, url=url)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-2:] == ["200", "[]"]


def test_certobot_up_launches_both_services_as_processes_and_stops_them(tmp_path: Path) -> None:
    import signal
    import time

    import httpx

    from tests.ports import free_port

    bot_port, crm_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL") and k not in ("REDIS_URL", "LOG_FILE")}
    env.update({"CRM_API_KEY": "up-key", "MOCK_DEBTORS_COUNT": "101", "GROQ_API_KEY": ""})
    up = subprocess.Popen(
        [sys.executable, "-m", "certobot.cli", "up", "--bot-port", str(bot_port), "--crm-port", str(crm_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert up.poll() is None, up.stdout.read().decode() if up.stdout else ""
            try:
                if all(httpx.get(f"http://127.0.0.1:{p}/health").status_code == 200 for p in (bot_port, crm_port)):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "certobot up não subiu os dois serviços"
            time.sleep(0.5)
        page = httpx.get(
            f"http://127.0.0.1:{crm_port}/api/debtors",
            params={"page_size": 1},
            headers={"Authorization": "Bearer up-key"},
        ).json()
        assert page["total"] >= 100
        # Each service its own SQLite file: the bot's holds no CRM table.
        assert {p.name for p in tmp_path.glob("*.db")} == {"certobot.db", "certobot-crm.db"}
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=30)
    for port in (bot_port, crm_port):
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
