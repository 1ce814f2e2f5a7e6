"""/docs and /redoc work without internet: every script and stylesheet they load is served by the
service itself (today's page would stay blank when a CDN cannot be reached)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

import certobot.main
import mock_crm.main


@pytest.mark.parametrize("make_app", [certobot.main.create_app, mock_crm.main.create_app], ids=["bot", "crm"])
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_load_only_local_assets(make_app: Callable[[], FastAPI], page: str) -> None:
    app = make_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        html = (await client.get(page)).text
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
        assert assets, html[:500]
        assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
        for asset in assets:
            r = await client.get(asset)
            assert r.status_code == 200, asset
            assert len(r.content) > 1000
