"""The Graph client as Meta sees it: the bytes of each send on a real socket, and Meta's answers
(success, its errors, lost answers) turned into results, errors and retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina
from aiohttp import web
from stamina.instrumentation import RetryDetails, set_on_retry_hooks

from certokit.http import AiohttpTransport
from certokit.whatsapp.graph import (
    GraphClient,
    GraphError,
    buttons_message,
    template_message,
    text_message,
    with_callback_data,
)
from tests.ports import free_port

TOKEN = "EAAGm0PX4ZCpsBA" + "Z" * 180
PHONE_NUMBER_ID = "106540352242922"
ANSWER = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "5511987654321", "wa_id": "551187654321"}],
    "messages": [{"id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ2QjY1RkY3MUY0RTc1QjBFNQA="}],
}

MESSAGES = [
    text_message('Olá, João! Sua proposta: 3x de R$ 120,50 — "confirma"? \\ 😀\n\tfim\x01\u2028'),
    with_callback_data(text_message("Segue o boleto."), "ob:81f2c3"),
    with_callback_data(template_message("wa_opening", "pt_BR", ["cliente", "Banco Ação"]), "ob:9"),
    buttons_message("Podemos fechar?", [("sim", "Sim, fechar"), ("nao", "Não agora"), ("outra", "Outra proposta")]),
    {"type": "document", "document": {"id": "1013859600285441", "filename": "boleto.pdf", "caption": "Boleto"}},
]


@pytest.fixture
async def meta() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """Meta's messages endpoint on loopback, recording each request as it arrived (raw headers in order)."""
    seen: list[dict[str, Any]] = []

    async def messages(request: web.Request) -> web.Response:
        seen.append(
            {
                "method": request.method,
                "path": request.path_qs,
                "headers": list(request.raw_headers),
                "body": await request.read(),
            }
        )
        return web.json_response(ANSWER)

    app = web.Application()
    app.router.add_post(f"/v25.0/{PHONE_NUMBER_ID}/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/v25.0", seen
    finally:
        await runner.cleanup()


def _payload(message: dict[str, Any], to: str = "5511987654321") -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}


class TestWhatMetaReceives:
    async def test_each_send_is_byte_for_byte_what_httpx_posts(self, meta: tuple[str, list[dict[str, Any]]]) -> None:
        base, seen = meta
        async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=httpx.Timeout(10.0, connect=3.0)) as http:
            graph = GraphClient(http, base_url=base, access_token=TOKEN, phone_number_id=PHONE_NUMBER_ID)
            for message in MESSAGES:
                result = await graph.send("5511987654321", message)
                assert result.wamid == ANSWER["messages"][0]["id"]
                assert result.wa_id == "551187654321"
                # The same request through httpx's own request building, as the client sent it before.
                await http.post(
                    f"{base}/{PHONE_NUMBER_ID}/messages",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    json=_payload(message),
                )
            await graph.mark_read("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEJFNzJBRDQ5MDk2RTNBAA==")
            await http.post(
                f"{base}/{PHONE_NUMBER_ID}/messages",
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={
                    "messaging_product": "whatsapp",
                    "status": "read",
                    "message_id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEJFNzJBRDQ5MDk2RTNBAA==",
                },
            )
        assert len(seen) == 2 * (len(MESSAGES) + 1)
        for ours, httpx_own in zip(seen[::2], seen[1::2], strict=True):
            assert ours == httpx_own

    async def test_the_request_is_the_documented_one(self, meta: tuple[str, list[dict[str, Any]]]) -> None:
        base, seen = meta
        async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
            graph = GraphClient(http, base_url=base, access_token=TOKEN, phone_number_id=PHONE_NUMBER_ID)
            await graph.send("5511987654321", with_callback_data(text_message("Olá, ação!"), "ob:42"))
        (got,) = seen
        assert got["method"] == "POST"
        assert got["path"] == f"/v25.0/{PHONE_NUMBER_ID}/messages"
        headers = {k.decode(): v.decode() for k, v in got["headers"]}
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["Content-Type"] == "application/json"
        assert headers["Content-Length"] == str(len(got["body"]))
        assert got["body"] == (
            b'{"messaging_product":"whatsapp","recipient_type":"individual","to":"5511987654321",'
            b'"type":"text","text":{"preview_url":false,"body":"Ol\xc3\xa1, a\xc3\xa7\xc3\xa3o!"},'
            b'"biz_opaque_callback_data":"ob:42"}'
        )

    async def test_a_client_with_event_hooks_still_runs_them(self, meta: tuple[str, list[dict[str, Any]]]) -> None:
        base, seen = meta
        hooked: list[str] = []

        async def on_request(request: httpx.Request) -> None:
            hooked.append(request.url.path)

        async with httpx.AsyncClient(transport=AiohttpTransport(), event_hooks={"request": [on_request]}) as http:
            graph = GraphClient(http, base_url=base, access_token=TOKEN, phone_number_id=PHONE_NUMBER_ID)
            await graph.send("5511987654321", text_message("oi"))
        assert hooked == [f"/v25.0/{PHONE_NUMBER_ID}/messages"]
        assert json.loads(seen[0]["body"])["text"]["body"] == "oi"


Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def _graph(handler: Handler, *, timeout: float = 60.0) -> tuple[GraphClient, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    async def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return await handler(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(record))
    graph = GraphClient(
        http, base_url="https://graph.facebook.com/v25.0", access_token="t", phone_number_id="1", timeout=timeout
    )
    return graph, requests


def _error(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1b2"}}
    )


@pytest.fixture
def no_waits() -> Iterator[None]:
    stamina.set_testing(True, attempts=6)
    try:
        yield
    finally:
        stamina.set_testing(False)


class TestMetasAnswers:
    async def test_a_documented_error_is_raised_with_its_code_and_not_sent_again(self) -> None:
        async def handler(_: httpx.Request) -> httpx.Response:
            return _error(400, 131047, "Re-engagement message")

        graph, requests = _graph(handler)
        with pytest.raises(GraphError) as caught:
            await graph.send("5511987654321", text_message("oi"))
        assert (caught.value.status, caught.value.code, caught.value.message) == (400, 131047, "Re-engagement message")
        assert caught.value.outside_window
        assert not caught.value.retryable
        assert caught.value.body["error"]["fbtrace_id"] == "A1b2"
        assert len(requests) == 1

    async def test_an_answer_that_is_not_json_keeps_its_status_and_reason(self) -> None:
        async def handler(_: httpx.Request) -> httpx.Response:
            return httpx.Response(502, text="<html>Bad Gateway</html>")

        graph, _ = _graph(handler)
        with pytest.raises(GraphError) as caught:
            await graph.send("5511987654321", text_message("oi"), retry=False)
        assert (caught.value.status, caught.value.code, caught.value.message) == (502, None, "Bad Gateway")

    @pytest.mark.usefixtures("no_waits")
    async def test_429_is_retried_until_meta_takes_it(self) -> None:
        answers = [_error(429, 130429, "Rate limit hit"), _error(400, 131016, "Service unavailable")]

        async def handler(_: httpx.Request) -> httpx.Response:
            return answers.pop(0) if answers else httpx.Response(200, json=ANSWER)

        graph, requests = _graph(handler)
        paced = 0

        async def pace() -> None:
            nonlocal paced
            paced += 1

        result = await graph.send("5511987654321", text_message("oi"), pace=pace)
        assert result.wamid == ANSWER["messages"][0]["id"]
        assert len(requests) == paced == 3
        assert [r.content for r in requests] == [requests[0].content] * 3  # the same body each time

    @pytest.mark.usefixtures("no_waits")
    async def test_each_retry_is_scheduled_for_the_failure_before_it(self) -> None:
        answers = [_error(429, 130429, "Rate limit hit"), _error(400, 131016, "Service unavailable")]

        async def handler(_: httpx.Request) -> httpx.Response:
            return answers.pop(0) if answers else httpx.Response(200, json=ANSWER)

        scheduled: list[tuple[int, int | None]] = []

        def on_retry(details: RetryDetails) -> None:
            assert isinstance(details.caused_by, GraphError)
            scheduled.append((details.retry_num, details.caused_by.code))

        graph, _ = _graph(handler)
        set_on_retry_hooks([on_retry])
        try:
            await graph.send("5511987654321", text_message("oi"))
        finally:
            set_on_retry_hooks(None)
        # What stamina's hooks (its retry log and metrics) see: the first failure too.
        assert scheduled == [(1, 130429), (2, 131016)]

    @pytest.mark.usefixtures("no_waits")
    async def test_a_connection_never_made_is_retried(self) -> None:
        refusals = 2

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal refusals
            if refusals:
                refusals -= 1
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, json=ANSWER)

        graph, requests = _graph(handler)
        assert (await graph.send("5511987654321", text_message("oi"))).wa_id == "551187654321"
        assert len(requests) == 3

    @pytest.mark.usefixtures("no_waits")
    async def test_a_lost_answer_is_never_sent_again(self) -> None:
        async def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("timed out", request=request)

        graph, requests = _graph(handler)
        with pytest.raises(httpx.ReadTimeout) as caught:
            await graph.send("5511987654321", text_message("oi"))
        assert caught.value.request is requests[0]
        assert len(requests) == 1

    @pytest.mark.usefixtures("no_waits")
    async def test_retries_stop_at_the_attempts_allowed(self) -> None:
        async def handler(_: httpx.Request) -> httpx.Response:
            return _error(429, 130429, "Rate limit hit")

        graph, requests = _graph(handler)
        with pytest.raises(GraphError) as caught:
            await graph.send("5511987654321", text_message("oi"))
        assert caught.value.code == 130429
        assert len(requests) == 6

    async def test_a_first_attempt_that_used_up_the_time_allowed_is_not_retried(self) -> None:
        async def handler(_: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.06)
            return _error(429, 130429, "Rate limit hit")

        graph, requests = _graph(handler, timeout=0.05)
        with pytest.raises(GraphError):
            await graph.send("5511987654321", text_message("oi"))
        assert len(requests) == 1
