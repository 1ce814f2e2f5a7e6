"""docker-compose.yml, proven without Docker: images cannot be pulled here, so this check reads the
compose file and runs each service's own command, with the environment compose would give it, as a
local process against the real Postgres and Redis (service hostnames mapped to loopback, published
ports mapped to free ones). It follows `depends_on` (one-shot migrate steps must finish, services must
pass their healthcheck) and then plays one conversation through the bot's simulator to a boleto.

What it deliberately changes, and only that: the Postgres URL points at a fresh database of this run
(the compose role and password exist only inside the compose network), and Redis at this run's
index. `docker compose config` also runs where the client exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import PG_ADMIN, REDIS_BASE
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
EXTERNAL = {"postgres", "redis"}  # provided by the machine, not started here


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR:-default}` and `${VAR}`, read from `env` (empty here: the documented defaults)."""

    def one(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(3) or ""
        return env.get(name) or default

    return re.sub(r"\$\{(\w+)(:-([^}]*))?\}", one, value)


def _order(services: dict[str, Any]) -> list[str]:
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        for dep in services[name].get("depends_on") or {}:
            visit(dep)
        done.append(name)

    # A service in a profile (waha) is opt-in: `docker compose up` without --profile leaves it out.
    for name, service in services.items():
        if not service.get("profiles"):
            visit(name)
    return [n for n in done if n not in EXTERNAL]


class Local:
    """Rewrites what a container would see into what a local process sees."""

    def __init__(self, services: dict[str, Any], database_url: str, redis_url: str) -> None:
        published = {
            int(str(p).split(":")[-1]) for s in services.values() for p in s.get("ports") or [] if ":" in str(p)
        }
        self.ports = {p: free_port() for p in published}
        self.database_url, self.redis_url = database_url, redis_url
        self.hosts = set(services) | {"localhost", "0.0.0.0"}

    def __call__(self, value: str) -> str:
        value = re.sub(r"postgresql\+asyncpg://[^\s\"']*@postgres:5432/\w+", self.database_url, value)
        value = re.sub(r"redis://redis:6379/\d+", self.redis_url, value)

        def hostport(m: re.Match[str]) -> str:
            port = int(m.group(2))
            return f"127.0.0.1:{self.ports.get(port, port)}"

        hosts = "|".join(re.escape(h) for h in sorted(self.hosts, key=len, reverse=True))
        value = re.sub(rf"(?<![\w.-])({hosts}|127\.0\.0\.1):(\d+)", hostport, value)
        return value

    def argv(self, command: list[str]) -> list[str]:
        out: list[str] = []
        for i, arg in enumerate(command):
            if i == 0 and arg == "python":
                out.append(sys.executable)  # the image's interpreter is this project's environment
            elif i > 0 and command[i - 1] == "--port":
                out.append(str(self.ports.get(int(arg), int(arg))))
            elif i > 0 and command[i - 1] == "--host":
                out.append("127.0.0.1")
            else:
                out.append(self(arg))
        return out


def _environment(service: dict[str, Any], local: Local) -> dict[str, str]:
    raw = service.get("environment") or {}
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    # Compose passes only what the file names, interpolated from the (here empty) shell environment.
    for key, value in raw.items():
        env[key] = local(_interpolate(str(value), {}))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _healthy(service: dict[str, Any], local: Local, env: dict[str, str]) -> bool:
    test = (service.get("healthcheck") or {}).get("test")
    assert test, "cada serviço precisa de um healthcheck"
    assert test[0] == "CMD", "o healthcheck em forma CMD: roda igual dentro e fora da imagem"
    return subprocess.run(local.argv(test[1:]), env=env, capture_output=True, timeout=10).returncode == 0


@pytest.fixture
def compose_database() -> Iterator[str]:
    import asyncio

    from tests.conftest import _admin

    name = f"certobot_compose_{os.getpid()}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_compose_file_is_valid_for_docker_compose() -> None:
    client = shutil.which("docker")
    if client is None or subprocess.run([client, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("sem cliente docker compose nesta máquina")
    r = subprocess.run([client, "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_compose_services_run_and_a_conversation_reaches_a_boleto(compose_database: str, tmp_path: Path) -> None:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    local = Local(services, compose_database, f"{REDIS_BASE}/{15 - os.getpid() % 4}")
    running: list[subprocess.Popen[bytes]] = []
    logs: dict[str, Path] = {}
    try:
        for name in _order(services):
            service = services[name]
            env = _environment(service, local)
            assert service.get("command"), f"{name}: o comando precisa estar no compose"
            logs[name] = tmp_path / f"{name}.log"
            with logs[name].open("wb") as log:
                proc = subprocess.Popen(local.argv(service["command"]), env=env, cwd=tmp_path, stdout=log, stderr=log)
            waited_by = [
                cond.get("condition")
                for other in services.values()
                for dep, cond in (other.get("depends_on") or {}).items()
                if dep == name
            ]
            if "service_completed_successfully" in waited_by:
                assert proc.wait(timeout=120) == 0, f"{name}: {logs[name].read_text()[-1500:]}"
                continue
            running.append(proc)
            deadline = time.monotonic() + 90
            while not _healthy(service, local, env):
                assert proc.poll() is None, f"{name} parou: {logs[name].read_text()[-1500:]}"
                assert time.monotonic() < deadline, f"{name} não ficou saudável: {logs[name].read_text()[-1500:]}"
                time.sleep(0.5)

        bot = f"http://127.0.0.1:{local.ports[8000]}"
        with httpx.Client(base_url=bot, timeout=15) as http:
            debtors = http.get("/simulator/api/debtors").json()
            debtor = next(d for d in debtors if d["days_past_due"] < 1700)
            phone = debtor["phone"]
            for line in ["oi", debtor["cpf_hint"], "quero pagar à vista", "sim", "sim", "sim"]:
                before = len(http.post("/simulator/api/messages", json={"phone": phone}).json())
                assert http.post("/simulator/api/send", json={"phone": phone, "text": line}).json()["status"] == "ok"
                chat = _settle(http, phone, before)
                if any(m.get("type") == "document" for m in chat):
                    break
            deadline = time.monotonic() + 30
            while not any(m.get("type") == "document" for m in chat) and time.monotonic() < deadline:
                time.sleep(0.5)
                chat = http.post("/simulator/api/messages", json={"phone": phone}).json()
        boleto = [m for m in chat if m.get("type") == "document"]
        assert boleto, [m.get("text") for m in chat]
        assert boleto[0]["document"]["filename"].endswith(".pdf")
        # Compose leaves GROQ_API_KEY empty: every turn must be the offline engine's, not a failed Groq call.
        bot_log = logs["bot"].read_text(errors="replace")
        started = [line for line in bot_log.splitlines() if "bot_started" in line]
        assert started, bot_log[-1500:]
        assert "rules" in started[0]
        assert "model_fallback" not in bot_log
    finally:
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _settle(http: httpx.Client, phone: str, before: int) -> list[dict[str, Any]]:
    """The chat once the bot has answered and stayed quiet for a moment."""
    start = last_change = time.monotonic()
    chat = http.post("/simulator/api/messages", json={"phone": phone}).json()
    count = len(chat)
    while time.monotonic() - start < 15:
        time.sleep(0.3)
        chat = http.post("/simulator/api/messages", json={"phone": phone}).json()
        if len(chat) != count:
            count, last_change = len(chat), time.monotonic()
        if count > before + 1 and time.monotonic() - last_change > 1.5:
            break
    return list(chat)
