"""Real processes for the browser: `certobot up` as a newcomer runs it, and headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.ports import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture(scope="module")
def local_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`certobot up` with nothing configured, in an empty folder: SQLite, in-process store, sandbox."""
    workdir: Path = tmp_path_factory.mktemp("up")
    bot, crm = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "WHATSAPP_", "GROQ"))}
    env["CONTACT_HOURS"] = "mon-sun 00:00-24:00"
    env["LOG_FILE"] = os.environ.get("LOG_FILE", str(workdir / "app.log"))
    log = (workdir / "up.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "certobot.cli", "up", "--bot-port", str(bot), "--crm-port", str(crm)],
        cwd=workdir,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=log,
        stderr=log,
    )
    try:
        wait_http(f"http://127.0.0.1:{bot}/health")
        wait_http(f"http://127.0.0.1:{crm}/health")
        yield f"http://127.0.0.1:{bot}", f"http://127.0.0.1:{crm}"
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        await b.close()


@pytest.fixture(scope="module")
def local_stack(local_urls: tuple[str, str]) -> str:
    return local_urls[0]
