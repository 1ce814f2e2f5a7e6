"""The services' outgoing HTTP: httpx's interface over aiohttp's connection pool.

Every call the services make — the bot to the CRM and to Meta, the CRM to Meta and to the bot — goes
through an `httpx.AsyncClient`: its API, its timeouts and its exceptions are what the clients, their
retry rules and the tests (`httpx.MockTransport`) are written against. httpx's own transport
(httpcore, h11, anyio) costs about 0.7 ms of CPU per request here, several times what the same
request costs through aiohttp, whose parser and pool are in C (docs/performance.md, "Where the CPU
went"). `AiohttpTransport` keeps the httpx client and swaps only the wire: HTTP/1.1 with keep-alive,
the body sent as httpx encoded it, the answer handed back undecoded (httpx decodes it), no cookies,
no redirects followed, and aiohttp's errors raised as the httpx errors that mean the same thing —
in particular a connection never made is `ConnectError`/`ConnectTimeout` (safe to send again) and
anything after is a read error or `ReadTimeout` (maybe delivered), which the retry rules rely on.

`JsonPost` is the hot path's other half: the JSON POSTs sent per message (Meta's messages endpoint)
built from what httpx built once for that URL, and handed to the client's transport without the
client's per-request machinery (auth flows, redirects, hooks, cookies) when the client uses none of
it. The same bytes reach the transport — the same headers, in the same order, the same body — for
a fraction of the CPU httpx spends building and sending each request (benchmarks/graph_send.py).
"""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import aiohttp
import certifi
import httpx
import pydantic_core
from yarl import URL

__all__ = ["KEEPALIVE_SECONDS", "AiohttpTransport", "JsonPost"]

KEEPALIVE_SECONDS = 4.0


@lru_cache(maxsize=16)
def _timeout(pool: float | None, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
    """httpx's timeouts as aiohttp's (a client has one set, so one is built per client, not per request)."""
    return aiohttp.ClientTimeout(
        total=None,
        connect=pool,  # waiting for a free connection, as httpx's pool timeout
        sock_connect=connect,
        sock_read=read,
    )


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport on one aiohttp session (created in the loop of the first request)."""

    def __init__(self, *, max_connections: int = 100) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                # The CAs httpx trusts (certifi's), and the proxies it would take from the environment (below).
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections,
                    ssl=ssl.create_default_context(cafile=certifi.where()),
                    # An idle connection is dropped before the server drops it (uvicorn: after 5 s), so
                    # a request never goes out on a connection the other side already closed — httpx
                    # checked each one before reuse; aiohttp does not, and a POST that fails there is
                    # not retried.
                    keepalive_timeout=KEEPALIVE_SECONDS,
                ),
                # Only when the environment names a proxy: aiohttp then looks proxies (and ~/.netrc)
                # up again on every request, which cost more than the whole request without them.
                trust_env=bool(urllib.request.getproxies()),
                cookie_jar=aiohttp.DummyCookieJar(),  # the httpx client keeps cookies, if any
                auto_decompress=False,  # httpx decodes by Content-Encoding, as with its own transport
                # httpx already set the headers it wants; aiohttp adds none of its own.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        body = await request.aread()
        try:
            async with self._client().request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
                data=body or None,
                timeout=_timeout(timeouts.get("pool"), timeouts.get("connect"), timeouts.get("read")),
                allow_redirects=False,
                compress=False,
            ) as answer:
                content = await answer.read()
        except aiohttp.ConnectionTimeoutError as exc:  # no connection (or none free in the pool): nothing sent
            raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except (aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        except aiohttp.ClientResponseError as exc:  # an answer that is not HTTP
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.NetworkError(str(exc), request=request) from exc
        # The body as a stream, as httpx's own transport hands it over, read once by whoever sent it
        # (`client.send`, `JsonPost`): `content=` read it here already, and added a Content-Length
        # the server may not have sent.
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (answer.reason or "").encode()},
            request=request,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class JsonPost:
    """JSON POSTs to one URL through `client`, as `client.post(url, headers=headers, json=body)` sends them.

    httpx builds one such request here, once, and each POST reuses what it built: the URL (parsed
    once), its headers in its order (Host, the client's defaults, `headers`, Content-Length,
    Content-Type: application/json), the client's timeouts. Per POST only the body is encoded
    (pydantic_core: the same bytes as httpx's `json.dumps(ensure_ascii=False, separators=(",", ":"))`
    for every string, at a sixth of the CPU) and its length set. The request then goes to the
    transport `client.send` would pick (mounts and proxies included), and the answer is read whole,
    as `client.send` does; skipped is only what this client would do nothing with — an auth flow,
    redirects, event hooks, cookies — checked on every POST: a client that has any of them (auth,
    `follow_redirects`, a hook, a cookie) gets the plain `client.post` instead. Cookies a server sets
    are not kept (the APIs posted to this way authenticate by header).

    The client's headers and timeouts are read when this is built: build it after configuring them.
    A `timeout` given here is used instead of the client's, as `client.post(..., timeout=)` would.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.client = client
        self.headers = dict(headers)
        # `timeout`: the caller's, as `client.post(..., timeout=timeout)` takes it; else the client's.
        self._timeout: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        template = client.build_request("POST", url, headers=self.headers, json={}, **self._timeout)
        self.url = template.url
        # Without the client's cookies of the moment, if any: with cookies, `client.post` is used.
        self._headers = [(k, v) for k, v in template.headers.raw if k.lower() != b"cookie"]
        self._length_at = [k.lower() for k, _ in self._headers].index(b"content-length")
        self._extensions = template.extensions
        # httpx's own choice for this URL (its mounts and proxies), made now: a client's mounts are
        # fixed when it is created. A private method of httpx (0.28, pinned by uv.lock); the tests'
        # fakes are mounted on their clients, so they go through it.
        self._transport = client._transport_for_url(self.url)

    def _plain(self) -> bool:
        c = self.client
        return (
            c.auth is None
            and not self.url.userinfo
            and not c.follow_redirects
            and not any(c.event_hooks.values())
            and not c.cookies
        )

    def request(self, body: Any) -> httpx.Request:
        """The request `client.post(url, headers=headers, json=body)` would send."""
        content = pydantic_core.to_json(body)
        headers = list(self._headers)
        headers[self._length_at] = (b"Content-Length", str(len(content)).encode("ascii"))
        request = httpx.Request(
            "POST", self.url, headers=headers, stream=httpx.ByteStream(content), extensions=dict(self._extensions)
        )
        request.read()  # the body as `request.content`, as a request built with `json=` has it
        return request

    async def __call__(self, body: Any) -> httpx.Response:
        if self.client.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        if not self._plain():
            return await self.client.post(self.url, headers=self.headers, json=body, **self._timeout)
        request = self.request(body)
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request  # as httpx's client does for an error its transport raised
            raise
        response.request = request
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        return response
