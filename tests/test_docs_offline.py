"""/docs and /redoc work without internet: every script and stylesheet they load is served by the
service itself (today's page would stay blank when a CDN cannot be reached)."""

from __future__ import annotations

import re
from contextlib import nullcontext
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import certobot.main
import mock_crm.main
from certobot.config import BotSettings
from certokit.startup import load_settings


def bot_app(tmp_path: Path) -> FastAPI:
    settings = load_settings(
        BotSettings, _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db", run_background_workers=False
    )
    return certobot.main.create_app(settings)


@pytest.mark.parametrize("service", ["bot", "crm"])
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_load_only_local_assets(service: str, page: str, tmp_path: Path) -> None:
    app = bot_app(tmp_path) if service == "bot" else mock_crm.main.create_app()
    # The bot mounts its docs in the lifespan, once its settings say it may (API_DOCS, outside production).
    started = app.router.lifespan_context(app) if service == "bot" else nullcontext()
    async with (
        started,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client,
    ):
        html = (await client.get(page)).text
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
        assert assets, html[:500]
        assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
        for asset in assets:
            r = await client.get(asset)
            assert r.status_code == 200, asset
            assert len(r.content) > 1000
