"""wake: NOTIFY the campaign runner and the expiry loop instead of their polling

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-01 00:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (certobot up) has one process: its loops poll every second
    # Delivered at COMMIT, whoever wrote the row (console, upload, CLI, a resume): the runner starts a
    # campaign the moment it becomes runnable. Its own pacing updates (next_send_at) wake nobody.
    op.execute(
        """
        CREATE FUNCTION notify_campaigns() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.status IN ('loading', 'running')
             AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status) THEN
            PERFORM pg_notify('certobot_campaigns', '');
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER notify_campaigns AFTER INSERT OR UPDATE OF status ON campaigns "
        "FOR EACH ROW EXECUTE FUNCTION notify_campaigns()"
    )
    # A conversation that becomes active brings a deadline that may be the earliest; a message only
    # moves a deadline later, which the expiry loop finds when it wakes, so messages wake nobody.
    op.execute(
        """
        CREATE FUNCTION notify_expiry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status) THEN
            PERFORM pg_notify('certobot_expiry', '');
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER notify_expiry AFTER INSERT OR UPDATE OF status ON conversations "
        "FOR EACH ROW EXECUTE FUNCTION notify_expiry()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS notify_expiry ON conversations")
    op.execute("DROP FUNCTION IF EXISTS notify_expiry()")
    op.execute("DROP TRIGGER IF EXISTS notify_campaigns ON campaigns")
    op.execute("DROP FUNCTION IF EXISTS notify_campaigns()")
