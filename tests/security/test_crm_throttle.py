"""The CRM throttles wrong API keys per client, counted in Postgres: a guesser is stopped, others go on."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from mock_crm.main import create_app
from tests.conftest import CRM_KEY, crm_settings


def client(app: object, host: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(host, 40000)),  # type: ignore[arg-type]
        base_url="http://crm.test",
        headers={"Authorization": f"Bearer {key}"},
    )


class TestWrongKeys:
    async def test_a_burst_of_wrong_keys_gets_429_while_another_client_goes_on(
        self, database_url: str, engine: AsyncEngine
    ) -> None:
        app = create_app(crm_settings(database_url, auth_max_failures=5, auth_failure_window_seconds=300))
        async with (
            app.router.lifespan_context(app),
            client(app, "203.0.113.9", "chute-errado") as attacker,
            client(app, "203.0.113.9", CRM_KEY) as attacker_with_the_key,
            client(app, "10.0.0.2", CRM_KEY) as bot,
        ):
            statuses = [(await attacker.get("/api/debtors")).status_code for _ in range(8)]
            assert statuses == [401] * 5 + [429] * 3

            r = await attacker_with_the_key.get("/api/debtors")
            assert r.status_code == 429  # the right key too: the guesser learns nothing meanwhile
            assert 1 <= int(r.headers["Retry-After"]) <= 300
            assert r.json()["detail"] == "Muitas requisições; tente novamente em instantes."

            assert (await bot.get("/api/debtors")).status_code == 200
