"""work: inbox cards (debtor name, amount and the operator's note beside each conversation)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from certokit.db import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_cards",
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("debtor_name", sa.String(200), nullable=True),
        sa.Column("debt_cents", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("filled_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_by", sa.String(80), nullable=True),
        sa.Column("note_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_inbox_cards_debtor_name", "inbox_cards", ["debtor_name"])


def downgrade() -> None:
    op.drop_index("ix_inbox_cards_debtor_name", table_name="inbox_cards")
    op.drop_table("inbox_cards")
