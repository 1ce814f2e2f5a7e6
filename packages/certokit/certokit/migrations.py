"""What each service's Alembic tree shares: the config that points at it, upgrade/downgrade, and the
async environment that keeps the service's tables in its own Postgres schema.

Each service owns its tree, its schema and its version table; only this plumbing is common.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from certokit.db import make_engine


def alembic_config(migrations: Path, database_url: str | None = None) -> Config:
    cfg = Config(str(migrations / "alembic.ini"))
    cfg.set_main_option("script_location", str(migrations))
    if database_url is not None:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(migrations: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations, database_url), revision)


def downgrade(migrations: Path, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(migrations, database_url), revision)


def run_env(*, metadata: MetaData, schema: str, version_table: str, default_url: Callable[[], str]) -> None:
    """The body of a service's `env.py`: offline SQL, or online on its schema (created if missing).

    The URL is the caller's `sqlalchemy.url` when set (tests, the root `alembic upgrade head`), else
    the service's own settings (`default_url`).
    """
    url = context.config.get_main_option("sqlalchemy.url") or default_url()

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = make_engine(url, schema=schema)
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
            await connection.run_sync(run)
            await connection.commit()
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(online())
