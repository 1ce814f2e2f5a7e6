"""Async Alembic environment of the bot's tables only (the shared body: certokit.migrations.run_env).

On Postgres they live in the `SCHEMA` schema (created if missing), reached through the connection's
search_path, with the version table `alembic_version_bot` beside them. The URL comes from the
bot's settings (`BOT_DATABASE_URL`, else `DATABASE_URL`) unless a caller sets `sqlalchemy.url`.
"""

from __future__ import annotations

import certobot.models as _tables  # noqa: F401  (registers the tables)
from certobot.base import BotBase
from certobot.config import SCHEMA, BotSettings
from certobot.migrate import VERSION_TABLE
from certokit.migrations import run_env
from certokit.startup import load_settings

run_env(
    metadata=BotBase.metadata,
    schema=SCHEMA,
    version_table=VERSION_TABLE,
    default_url=lambda: load_settings(BotSettings).database_url,
)
