"""hot path: partial indexes for the rows still to do, no index on columns every row changes once

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 07:00:00+00:00

An outbox row is inserted pending and marked done once; an inbound event is inserted unprocessed
and marked processed once. Their indexes on `status`, `kind`, `next_attempt_at` and `processed_at`
held an entry for every row ever written and took another on each of those updates. The queries
that need them (the sweeper, the senders, a turn's read) only look for the rows still to do: a
partial index each, which the update leaves. `status_events.wamid` is served by the unique
(wamid, status). A fillfactor leaves room on the page for a row's next version, so that an update
changing no indexed column stays heap-only (HOT): a transcript line's "delivered" and "read", a
lease.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
UNPROCESSED = sa.text("processed_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["conversation_id", "next_attempt_at"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_index("ix_outbox_kind", table_name="outbox")
    op.drop_index("ix_outbox_next_attempt_at", table_name="outbox")
    op.create_index(
        "ix_inbound_events_unprocessed",
        "inbound_events",
        ["phone_key", "sent_at", "id"],
        postgresql_where=UNPROCESSED,
        sqlite_where=UNPROCESSED,
    )
    op.drop_index("ix_inbound_events_processed_at", table_name="inbound_events")
    op.drop_index("ix_status_events_wamid", table_name="status_events")
    if op.get_bind().dialect.name == "postgresql":
        # New pages only: existing rows keep their place until they move.
        op.execute("ALTER TABLE outbox SET (fillfactor = 90)")
        op.execute("ALTER TABLE messages SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE messages RESET (fillfactor)")
        op.execute("ALTER TABLE outbox RESET (fillfactor)")
    op.create_index("ix_status_events_wamid", "status_events", ["wamid"], unique=False)
    op.create_index("ix_inbound_events_processed_at", "inbound_events", ["processed_at"], unique=False)
    op.drop_index("ix_inbound_events_unprocessed", table_name="inbound_events")
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"], unique=False)
    op.create_index("ix_outbox_kind", "outbox", ["kind"], unique=False)
    op.create_index("ix_outbox_status", "outbox", ["status"], unique=False)
    op.drop_index("ix_outbox_pending", table_name="outbox")
