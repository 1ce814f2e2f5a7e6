"""Async Alembic environment for both services' tables (one tree, one database).

The URL comes from `DATABASE_URL` (the same setting the services read) unless a caller, such as the
test suite, sets `sqlalchemy.url` on the config.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import certobot.models as _bot_tables  # noqa: F401  (registers the tables)
import mock_crm.models as _crm_tables  # noqa: F401
from certobot.base import BotBase
from certobot.config import BotSettings, load_settings
from certokit.db import make_engine
from mock_crm.base import CrmBase

config = context.config
target_metadata = [CrmBase.metadata, BotBase.metadata]


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_settings(BotSettings).database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = make_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
