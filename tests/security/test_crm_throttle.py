"""The CRM throttles wrong API keys per client, counted in Postgres: a guesser is stopped, others go on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from mock_crm.main import create_app
from mock_crm.throttle import ThrottleBoard, window_of
from tests.conftest import CRM_KEY, crm_settings
from tests.counting import counting


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


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not within the time"
        await asyncio.sleep(0.01)


class TestAcrossProcesses:
    """Each app instance has its own board and its own LISTEN connection, as a separate process would."""

    async def test_the_limit_reached_on_one_instance_refuses_the_right_key_on_another(
        self, database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings = crm_settings(database_url, auth_max_failures=3, auth_failure_window_seconds=300)
        counting_app, other_app = create_app(settings), create_app(settings)
        async with (
            counting_app.router.lifespan_context(counting_app),
            other_app.router.lifespan_context(other_app),
            client(counting_app, "203.0.113.7", "chute-errado") as attacker,
            client(other_app, "203.0.113.7", CRM_KEY) as attacker_elsewhere,
            client(other_app, "10.0.0.2", CRM_KEY) as bot,
        ):
            board: ThrottleBoard = other_app.state.throttle_board
            assert board.listening.is_set()
            assert (await attacker_elsewhere.get("/api/debtors")).status_code == 200
            assert [(await attacker.get("/api/debtors")).status_code for _ in range(4)] == [401] * 3 + [429]

            # The other instance counted nothing: it hears of the limit from Postgres's NOTIFY.
            await until(lambda: board.is_blocked("203.0.113.7", window_of(datetime.now(UTC), 300)[0]))
            with counting(other_app.state.engine, monkeypatch) as tally:
                r = await attacker_elsewhere.get("/api/debtors")
                assert r.status_code == 429  # the right key too
                assert 1 <= int(r.headers["Retry-After"]) <= 300
                assert tally.pg_round_trips == 0, tally.statements  # answered from memory
            assert (await bot.get("/api/debtors")).status_code == 200

    async def test_an_instance_started_later_loads_who_is_throttled(
        self, database_url: str, engine: AsyncEngine
    ) -> None:
        settings = crm_settings(database_url, auth_max_failures=2, auth_failure_window_seconds=300)
        first = create_app(settings)
        async with (
            first.router.lifespan_context(first),
            client(first, "203.0.113.8", "chute-errado") as attacker,
        ):
            assert [(await attacker.get("/api/debtors")).status_code for _ in range(3)] == [401, 401, 429]
        later = create_app(settings)
        async with (
            later.router.lifespan_context(later),
            client(later, "203.0.113.8", CRM_KEY) as attacker_with_the_key,
        ):
            assert later.state.throttle_board.listening.is_set()
            assert (await attacker_with_the_key.get("/api/debtors")).status_code == 429

    async def test_without_its_listener_an_instance_asks_postgres(self, database_url: str, engine: AsyncEngine) -> None:
        settings = crm_settings(database_url, auth_max_failures=2, auth_failure_window_seconds=300)
        counting_app, deaf_app = create_app(settings), create_app(settings)
        async with (
            counting_app.router.lifespan_context(counting_app),
            deaf_app.router.lifespan_context(deaf_app),
            client(counting_app, "203.0.113.6", "chute-errado") as attacker,
            client(deaf_app, "203.0.113.6", CRM_KEY) as attacker_elsewhere,
        ):
            deaf_app.state.throttle_board.listening.clear()  # as while its connection is down
            deaf_app.state.throttle_board.blocked.clear()
            assert [(await attacker.get("/api/debtors")).status_code for _ in range(2)] == [401, 401]
            deaf_app.state.throttle_board.blocked.clear()  # the NOTIFY may have come: it must not matter
            assert (await attacker_elsewhere.get("/api/debtors")).status_code == 429
