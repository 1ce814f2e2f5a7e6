"""hot turn: the durable copy of the live session on the conversation, and per-minute flood counters

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-01 00:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from certokit.db import JsonDoc

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("session", JsonDoc, nullable=True))
    op.create_table(
        "inbound_floods",
        sa.Column("phone_key", sa.String(16), primary_key=True),
        sa.Column("minute", sa.BigInteger(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inbound_floods")
    op.drop_column("conversations", "session")
