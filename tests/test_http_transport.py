"""certokit.http: httpx's client over aiohttp's pool behaves as httpx's own transport, on a real socket."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from certokit.http import AiohttpTransport, JsonPost
from certokit.whatsapp.graph import request_not_sent
from tests.ports import free_port


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A small HTTP server on loopback that records what it was sent."""
    seen: list[dict[str, Any]] = []

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append({"method": request.method, "path": request.path_qs, "headers": dict(request.headers), "body": body})
        return web.json_response({"ok": True, "n": len(seen)}, status=201, headers={"X-Seen": str(len(seen))})

    async def zipped(_: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(b'{"a": 1}'), headers={"Content-Encoding": "gzip"})

    async def moved(_: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/echo"})

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/zipped", zipped)
    app.router.add_get("/moved", moved)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Generous: a loopback connect is instant, but this shared 2-core host has stalled past 1 s in CI
    # (a refused connection, the one error a test here expects at connect, is immediate anyway).
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=httpx.Timeout(10.0)) as c:
        yield c


class TestWire:
    async def test_the_request_arrives_as_httpx_built_it(
        self, server: tuple[str, list[dict[str, Any]]], client: httpx.AsyncClient
    ) -> None:
        base, seen = server
        r = await client.post(
            f"{base}/echo", params={"q": "a b", "page": 2}, json={"nome": "João"}, headers={"Idempotency-Key": "k1"}
        )
        assert r.status_code == 201
        assert r.json() == {"ok": True, "n": 1}
        assert r.headers["x-seen"] == "1"
        got = seen[0]
        assert got["method"] == "POST"
        assert got["path"] == "/echo?q=a+b&page=2"
        assert json.loads(got["body"]) == {"nome": "João"}
        headers = got["headers"]
        assert headers["Idempotency-Key"] == "k1"
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"].startswith("python-httpx/")

    async def test_a_multipart_upload_arrives_whole(
        self, server: tuple[str, list[dict[str, Any]]], client: httpx.AsyncClient
    ) -> None:
        base, seen = server
        pdf = b"%PDF-1.4 " + bytes(range(256)) * 40
        r = await client.post(f"{base}/echo", data={"type": "application/pdf"}, files={"file": ("b.pdf", pdf)})
        assert r.status_code == 201
        assert pdf in seen[0]["body"]

    async def test_a_compressed_answer_is_decoded_once(
        self, server: tuple[str, list[dict[str, Any]]], client: httpx.AsyncClient
    ) -> None:
        base, _ = server
        r = await client.get(f"{base}/zipped")
        assert r.json() == {"a": 1}

    async def test_a_redirect_is_returned_not_followed(
        self, server: tuple[str, list[dict[str, Any]]], client: httpx.AsyncClient
    ) -> None:
        base, seen = server
        r = await client.get(f"{base}/moved")
        assert r.status_code == 302
        assert seen == []

    async def test_one_connection_serves_many_requests(
        self, server: tuple[str, list[dict[str, Any]]], client: httpx.AsyncClient
    ) -> None:
        base, seen = server
        for _ in range(5):
            assert (await client.get(f"{base}/echo")).status_code == 201
        assert len(seen) == 5


class TestErrors:
    async def test_nobody_listening_is_a_connect_error_safe_to_send_again(self, client: httpx.AsyncClient) -> None:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.post(f"http://127.0.0.1:{free_port()}/x", json={})
        assert request_not_sent(caught.value)

    async def test_an_answer_too_slow_is_a_read_timeout_not_sent_again(
        self, server: tuple[str, list[dict[str, Any]]]
    ) -> None:
        base, _ = server
        async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=httpx.Timeout(0.2)) as c:
            with pytest.raises(httpx.ReadTimeout) as caught:
                await c.post(f"{base}/slow", json={})
        assert not request_not_sent(caught.value)


class TestJsonPost:
    async def test_a_closed_client_refuses_it_as_it_refuses_post(
        self, server: tuple[str, list[dict[str, Any]]]
    ) -> None:
        base, seen = server
        client = httpx.AsyncClient(transport=AiohttpTransport())
        post = JsonPost(client, f"{base}/echo", {"Authorization": "Bearer t"})
        assert (await post({"a": 1})).json() == {"ok": True, "n": 1}
        await client.aclose()
        with pytest.raises(RuntimeError, match="client has been closed"):
            await client.post(f"{base}/echo", json={"a": 2})
        with pytest.raises(RuntimeError, match="client has been closed"):
            await post({"a": 2})
        assert len(seen) == 1

    async def test_its_own_timeout_is_kept_over_the_clients(self, server: tuple[str, list[dict[str, Any]]]) -> None:
        """The CRM client's lookups wait 5 s whatever the shared client's default: a JsonPost built with
        a timeout times out by it, with the plain path (a client with hooks) as with the prebuilt one."""
        base, _ = server

        async def hook(_: httpx.Request) -> None:
            return None

        for hooks in ({}, {"request": [hook]}):
            async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=30.0, event_hooks=hooks) as c:
                post = JsonPost(c, f"{base}/slow", {}, timeout=httpx.Timeout(0.2))
                started = asyncio.get_running_loop().time()
                with pytest.raises(httpx.ReadTimeout):
                    await post({})
                assert asyncio.get_running_loop().time() - started < 1.5
