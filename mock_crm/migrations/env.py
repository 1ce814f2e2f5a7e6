"""Async Alembic environment of the CRM's tables only.

On Postgres they live in the `SCHEMA` schema (created here if missing), reached through the
connection's search_path, with the version table `alembic_version_crm` beside them. The URL comes from the
CRM's settings (`CRM_DATABASE_URL`, else `DATABASE_URL`) unless a caller sets `sqlalchemy.url`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import mock_crm.models as _tables  # noqa: F401  (registers the tables)
from certokit.db import make_engine
from certokit.startup import load_settings
from mock_crm.base import CrmBase
from mock_crm.migrate import VERSION_TABLE
from mock_crm.settings import SCHEMA, CrmSettings

config = context.config
target_metadata = CrmBase.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_settings(CrmSettings).database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = make_engine(_url(), schema=SCHEMA)
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
            await connection.commit()
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
