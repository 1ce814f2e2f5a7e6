"""hot: boleto delivery leases (one row, one commit) and a NOTIFY for new deliveries

Revision ID: crm_0003
Revises: crm_0002
Create Date: 2026-11-30 21:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from certokit.db import UtcDateTime

revision: str = "crm_0003"
down_revision: str | None = "crm_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crm_boleto_deliveries") as batch:
        batch.add_column(sa.Column("locked_until", UtcDateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (certobot up) has one process: its loops poll
    # Delivered at COMMIT: the woken loop always finds the row it was told about.
    op.execute(
        """
        CREATE FUNCTION notify_crm_boleto_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('crm_boleto_delivery', '');
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER notify_crm_boleto_deliveries AFTER INSERT ON crm_boleto_deliveries "
        "FOR EACH ROW EXECUTE FUNCTION notify_crm_boleto_deliveries()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS notify_crm_boleto_deliveries ON crm_boleto_deliveries")
        op.execute("DROP FUNCTION IF EXISTS notify_crm_boleto_deliveries()")
    with op.batch_alter_table("crm_boleto_deliveries") as batch:
        batch.drop_column("locked_until")
