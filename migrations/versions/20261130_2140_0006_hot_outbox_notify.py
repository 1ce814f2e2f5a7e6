"""hot: NOTIFY on new CRM outbox rows and boleto deliveries (Postgres only)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The notification is delivered at COMMIT: the woken loop always finds the row it was told about.
# WhatsApp rows are sent right after their turn by the worker that wrote them, so they wake nobody.
TRIGGERS = [
    ("outbox", "certobot_crm_outbox", "NEW.kind <> 'whatsapp'"),
    ("crm_boleto_deliveries", "crm_boleto_delivery", "true"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (certobot up) has one process: its loops poll
    for table, channel, condition in TRIGGERS:
        op.execute(
            f"""
            CREATE FUNCTION notify_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF {condition} THEN PERFORM pg_notify('{channel}', ''); END IF;
              RETURN NULL;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER notify_{table} AFTER INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION notify_{table}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS notify_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS notify_{table}()")
