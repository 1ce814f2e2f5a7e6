"""Bodies, nesting and key guessing pushed past their limits: refused early, in Portuguese, never a 500."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator

from tests.e2e.conftest import Stack
from tests.fakes import sign

MB = 1024 * 1024


class Chunks:
    """A chunked body with no Content-Length, counting how much the server pulled."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        block = b"[" * self.chunk
        while self.sent < self.total:
            self.sent += self.chunk
            yield block


class TestBodies:
    async def test_a_100_mb_chunked_body_is_cut_at_the_limit_with_memory_flat(self, stack: Stack) -> None:
        for path, limit in (("/webhooks/whatsapp", 3 * MB), ("/api/conversations", MB)):
            body = Chunks(100 * MB)
            tracemalloc.start()
            r = await stack.bot.post(
                path, content=body, headers={"Authorization": "", "Content-Type": "application/json"}
            )
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert r.status_code == 413, path
            assert "grande demais" in r.json()["detail"]
            assert body.sent <= limit + body.chunk  # the rest was never read
            assert peak < limit + 8 * MB

    async def test_a_declared_length_over_the_limit_is_refused_before_reading(self, stack: Stack) -> None:
        r = await stack.crm.post(
            "/api/debtors", content=b"{}", headers={"Content-Length": str(50 * MB), "Content-Type": "application/json"}
        )
        assert r.status_code == 413

    async def test_a_body_under_the_limit_still_works(self, stack: Stack) -> None:
        r = await stack.bot.post("/api/conversations", json={"cpf": "000"})
        assert r.status_code == 422


class TestNesting:
    async def test_deeply_nested_signed_webhook_is_a_400(self, stack: Stack) -> None:
        raw = b"[" * 100_000 + b"]" * 100_000
        r = await stack.bot.post(
            "/webhooks/whatsapp",
            content=raw,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, "test-app-secret")},
        )
        assert r.status_code == 400
        assert "inválido" in r.json()["detail"]

    async def test_deeply_nested_api_body_is_a_400(self, stack: Stack) -> None:
        nested = '{"cpf": ' + "[" * 100_000 + "]" * 100_000 + "}"
        for client, path in ((stack.bot, "/api/conversations"), (stack.crm, "/api/debtors")):
            r = await client.post(path, content=nested, headers={"Content-Type": "application/json"})
            assert r.status_code == 400, (path, r.text)
            assert r.json()["detail"] == "Requisição inválida."


class TestKeyGuessing:
    async def test_wrong_keys_are_throttled_per_client_with_retry_after(self, stack: Stack) -> None:
        codes = []
        for i in range(12):
            r = await stack.bot.get("/api/conversations", headers={"Authorization": f"Bearer palpite-{i}"})
            codes.append(r.status_code)
        assert codes[:10] == [401] * 10
        assert codes[10:] == [429, 429]
        assert 1 <= int(r.headers["Retry-After"]) <= 300
        # the right key from the same client waits too: the answer tells a guesser nothing
        right = await stack.bot.get("/api/conversations")
        assert right.status_code == 429

    async def test_the_right_key_is_not_counted(self, stack: Stack) -> None:
        for _ in range(15):
            assert (await stack.bot.get("/api/conversations")).status_code == 200
