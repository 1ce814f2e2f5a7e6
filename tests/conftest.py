"""Shared fixtures: a fresh Postgres database per run built by the migrations, a Redis DB index
per run, and both apps driven in-process through their lifespans.

Each test starts from empty tables (truncated after each test) so that background workers and
second connections see exactly what a real deployment would.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import certobot.models as _bot_tables  # noqa: F401  (registers tables)
import mock_crm.models as _crm_tables  # noqa: F401
from certobot.base import BotBase
from certokit.db import make_engine, make_sessionmaker
from mock_crm.base import CrmBase
from mock_crm.settings import CrmSettings

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
CRM_KEY = "test-crm-key"
OP_KEY = "test-operator-key"


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


async def _admin(sql: str) -> None:
    engine = make_engine(PG_ADMIN)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(sql))
    await engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config(os.path.join(os.path.dirname(__file__), "..", "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database of this run's own, schema built by `alembic upgrade head`."""
    name = f"certobot_test_{os.getpid()}_{_worker_suffix()}_{random.randint(0, 99999)}"
    base = PG_ADMIN.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url() -> str:
    return f"{REDIS_BASE}/{random.randint(1, 15)}"


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    # Both services' schemas on the path: tests read and clean either's tables by plain name.
    eng = make_engine(database_url, schema="bot, crm")
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


_TABLES = [t.name for t in [*CrmBase.metadata.sorted_tables, *BotBase.metadata.sorted_tables]]


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "engine" in request.fixturenames:
        eng: AsyncEngine = request.getfixturevalue("engine")
        async with eng.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(_TABLES)} RESTART IDENTITY CASCADE"))
    if "redis_url" in request.fixturenames:
        import redis.asyncio as aioredis

        client = aioredis.from_url(request.getfixturevalue("redis_url"))
        await client.flushdb()
        await client.aclose()


@pytest.fixture
async def db(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


def crm_settings(database_url: str, **overrides: Any) -> CrmSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "crm_api_key": SecretStr(CRM_KEY),
        "mock_debtors_count": 0,
        "log_json": True,
        "whatsapp_access_token": None,
        "whatsapp_phone_number_id": None,
        "run_background_workers": False,
        "database_warm_up": False,  # many apps start here: tests/test_crm_debtors.py warms one on purpose
    }
    values.update(overrides)
    return CrmSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def crm(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The CRM app through its lifespan, with the API key already set."""
    from mock_crm.main import create_app

    app = create_app(crm_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://crm.test", headers={"Authorization": f"Bearer {CRM_KEY}"}
        ) as client:
            yield client
