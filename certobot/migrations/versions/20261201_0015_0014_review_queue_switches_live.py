"""review: the "não entendidas" queue, the "everything to people" switch, live updates for the console

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 00:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from certokit.db import UtcDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("understood", sa.String(32), nullable=True))
        batch.add_column(sa.Column("review", sa.String(10), nullable=True))
    op.create_index(
        "ix_messages_review",
        "messages",
        ["id"],
        postgresql_where=sa.text("review IS NOT NULL"),
        sqlite_where=sa.text("review IS NOT NULL"),
    )
    op.create_table(
        "review_labels",
        sa.Column(
            "message_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("labelled_by", sa.String(80), nullable=False),
        sa.Column("labelled_at", UtcDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "switches",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("on", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=True),
        sa.Column("changed_at", UtcDateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    # The console's live stream (certobot/live): a conversation id when a turn, a takeover or an
    # operator's message commits, a switch's name when it flips. Postgres folds identical payloads of
    # one transaction into one notification, so a turn of three replies wakes the console once.
    op.execute(
        """
        CREATE FUNCTION notify_live() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_TABLE_NAME = 'switches' THEN
            PERFORM pg_notify('certobot_live', 's:' || NEW.name);
            PERFORM pg_notify('certobot_switches', NEW.name);
          ELSIF TG_TABLE_NAME = 'conversations' THEN
            PERFORM pg_notify('certobot_live', 'c:' || NEW.id);
          ELSIF NEW.conversation_id IS NOT NULL THEN
            PERFORM pg_notify('certobot_live', 'c:' || NEW.conversation_id);
          END IF;
          RETURN NULL;
        END $$
        """
    )
    for table, events in (("conversations", "INSERT OR UPDATE"), ("messages", "INSERT"), ("switches", "INSERT OR UPDATE")):
        op.execute(f"CREATE TRIGGER notify_live AFTER {events} ON {table} FOR EACH ROW EXECUTE FUNCTION notify_live()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("conversations", "messages", "switches"):
            op.execute(f"DROP TRIGGER IF EXISTS notify_live ON {table}")
        op.execute("DROP FUNCTION IF EXISTS notify_live()")
    op.drop_table("switches")
    op.drop_table("review_labels")
    op.drop_index("ix_messages_review", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("review")
        batch.drop_column("understood")
