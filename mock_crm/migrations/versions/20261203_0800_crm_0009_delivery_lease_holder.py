"""boleto deliveries: the Postgres backend whose connection holds a delivery's lease

Revision ID: crm_0009
Revises: crm_0008
Create Date: 2026-12-03 08:00:00+00:00

A CRM process killed mid-pass left every delivery it had leased (up to a pass, 20) untouched for
the whole two-minute lease: after a `kill -9` the debtors' boletos arrived two minutes late, though
nobody was sending them. The lease now also names the backend of the connection the pass holds; a
delivery whose backend is gone is free at once (certokit.leases).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm_0009"
down_revision: str | None = "crm_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crm_boleto_deliveries", sa.Column("locked_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("crm_boleto_deliveries", "locked_by")
