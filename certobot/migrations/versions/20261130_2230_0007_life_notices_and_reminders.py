"""life: payment notices from the CRM and agreement reminders

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certokit.db import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment_notices",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_id", sa.String(80), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("agreement_key", sa.String(64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payment_notices"),
        sa.UniqueConstraint("event_id", name="uq_payment_notices_event_id"),
    )
    op.create_index("ix_payment_notices_session_id", "payment_notices", ["session_id"])
    op.create_index("ix_payment_notices_agreement_key", "payment_notices", ["agreement_key"])
    op.create_table(
        "agreement_reminders",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("agreement_key", sa.String(64), nullable=False),
        sa.Column("boleto_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agreement_reminders"),
        sa.UniqueConstraint("key", name="uq_agreement_reminders_key"),
    )
    op.create_index("ix_agreement_reminders_agreement_key", "agreement_reminders", ["agreement_key"])


def downgrade() -> None:
    op.drop_table("agreement_reminders")
    op.drop_table("payment_notices")
