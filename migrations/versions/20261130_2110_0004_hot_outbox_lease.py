"""hot: outbox and boleto delivery leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 21:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from certobot.db import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("outbox", "crm_boleto_deliveries"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("locked_until", UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ("outbox", "crm_boleto_deliveries"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("locked_until")
