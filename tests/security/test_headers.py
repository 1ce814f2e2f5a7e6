"""Responses carry the headers a browser needs to refuse injected script, framing and sniffing."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import Stack


class TestHeaders:
    async def test_console_runs_under_a_policy_without_inline_script(self, stack: Stack) -> None:
        r = await stack.bot.get("/console")
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        # what the policy would block must not be needed by the page itself
        assert re.findall(r"<script>|<style>|\sstyle=|\son[a-z]+=", r.text) == []
        for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
            asset = await stack.bot.get(src)
            assert asset.status_code == 200, src
        assert (await stack.bot.get("/static/console.js")).headers["content-type"].startswith("text/javascript")
        assert (await stack.bot.get("/static/__init__.py")).status_code == 404

    async def test_the_simulator_page_has_no_inline_script_either(self, stack: Stack) -> None:
        r = await stack.bot.get("/simulator")
        assert r.status_code == 404  # a real WhatsApp token: no simulator; its page is checked as a file
        from importlib.resources import files

        html = files("certobot.static").joinpath("simulator.html").read_text(encoding="utf-8")
        assert re.findall(r"<script>|<style>|\sstyle=|\son[a-z]+=", html) == []

    async def test_hsts_only_behind_tls(self, stack: Stack) -> None:
        assert "strict-transport-security" not in (await stack.bot.get("/health")).headers
        transport = httpx.ASGITransport(app=stack.bot_app)
        async with httpx.AsyncClient(transport=transport, base_url="https://bot.test") as tls:
            r = await tls.get("/health")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")

    async def test_the_crm_answers_with_the_same_headers(self, stack: Stack) -> None:
        r = await stack.crm.get("/health")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_uploaded_sandbox_media_is_only_ever_a_download(database_url: str, redis_url: str) -> None:
    from tests.e2e.conftest import make_stack

    async with make_stack(database_url, redis_url, whatsapp_access_token=None) as stack:
        page = b"<html><script>alert(document.cookie)</script></html>"
        up = await stack.bot.post("/sandbox/v25.0/sandbox/media", files={"file": ("boleto.html", page, "text/html")})
        media_id = up.json()["id"]
        r = await stack.bot.get(f"/sandbox/v25.0/media/{media_id}")
        assert r.content == page
        assert r.headers["content-disposition"].startswith("attachment")
        assert r.headers["x-content-type-options"] == "nosniff"
