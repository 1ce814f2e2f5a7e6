"""Async Alembic environment of the CRM's tables only (the shared body: certokit.migrations.run_env).

On Postgres they live in the `SCHEMA` schema (created if missing), reached through the connection's
search_path, with the version table `alembic_version_crm` beside them. The URL comes from the
CRM's settings (`CRM_DATABASE_URL`, else `DATABASE_URL`) unless a caller sets `sqlalchemy.url`.
"""

from __future__ import annotations

import mock_crm.models as _tables  # noqa: F401  (registers the tables)
from certokit.migrations import run_env
from certokit.startup import load_settings
from mock_crm.base import CrmBase
from mock_crm.migrate import VERSION_TABLE
from mock_crm.settings import SCHEMA, CrmSettings

run_env(
    metadata=CrmBase.metadata,
    schema=SCHEMA,
    version_table=VERSION_TABLE,
    default_url=lambda: load_settings(CrmSettings).database_url,
)
