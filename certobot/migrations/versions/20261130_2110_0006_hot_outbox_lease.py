"""hot: outbox leases (one row, one commit) and a NOTIFY for CRM-bound rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from certokit.db import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("locked_until", UtcDateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (certobot up) has one process: its loops poll
    # Delivered at COMMIT: the woken loop always finds the row it was told about. WhatsApp rows are
    # sent right after their turn by the worker that wrote them, so they wake nobody.
    op.execute(
        """
        CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.kind <> 'whatsapp' THEN PERFORM pg_notify('certobot_crm_outbox', ''); END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute("CREATE TRIGGER notify_outbox AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION notify_outbox()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS notify_outbox ON outbox")
        op.execute("DROP FUNCTION IF EXISTS notify_outbox()")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("locked_until")
