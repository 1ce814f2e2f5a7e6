"""The bot's migrations: its own Alembic tree (`certobot/migrations`), Postgres schema and version table.

`certobot migrate` and `python -m certobot.migrate` run it on `BOT_DATABASE_URL` (or `DATABASE_URL`);
`alembic upgrade head` from the repository root runs it too, after or before the other service's.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from certokit import migrations

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Its own name, so the two services can even share one SQLite file or schema-less database.
VERSION_TABLE = "alembic_version_bot"


def alembic_config(database_url: str | None = None) -> Config:
    return migrations.alembic_config(MIGRATIONS, database_url)


def upgrade(database_url: str, revision: str = "head") -> None:
    migrations.upgrade(MIGRATIONS, database_url, revision)


def downgrade(database_url: str, revision: str) -> None:
    migrations.downgrade(MIGRATIONS, database_url, revision)


if __name__ == "__main__":
    from certobot.config import BotSettings
    from certokit.startup import load_settings

    upgrade(load_settings(BotSettings).database_url)
