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
"""

from __future__ import annotations

import ssl
import urllib.request
from functools import lru_cache

import aiohttp
import certifi
import httpx
from yarl import URL

__all__ = ["KEEPALIVE_SECONDS", "AiohttpTransport"]

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
        # The body as a stream, as httpx's own transport hands it over (the client reads it once):
        # `content=` read it here and added a Content-Length the server may not have sent, ~10 µs more.
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
