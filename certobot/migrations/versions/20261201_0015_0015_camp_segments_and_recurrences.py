"""campaigns: segments (stored on the campaign, named for the dashboard), recurrences and their runs

Revision ID: 0015
Revises: 0008
Create Date: 2026-12-01 00:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certokit.db import UtcDateTime

revision: str = "0015"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("segment", JSON, nullable=True))
    op.add_column("campaigns", sa.Column("segment_name", sa.String(80), nullable=True))
    op.add_column("campaigns", sa.Column("recurrence", JSON, nullable=True))
    op.add_column("campaigns", sa.Column("next_run_at", UtcDateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_campaigns_segment_name"), "campaigns", ["segment_name"])
    op.create_index(op.f("ix_campaigns_next_run_at"), "campaigns", ["next_run_at"])
    op.add_column("campaign_items", sa.Column("run_id", BIGINT, nullable=True))
    op.create_index(op.f("ix_campaign_items_run_id"), "campaign_items", ["run_id"])
    op.create_table(
        "campaign_runs",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("campaign_id", sa.String(36), nullable=False),
        sa.Column("due_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("skipped", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_runs_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_runs")),
    )
    op.create_index(op.f("ix_campaign_runs_campaign_id"), "campaign_runs", ["campaign_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_runs_campaign_id"), table_name="campaign_runs")
    op.drop_table("campaign_runs")
    op.drop_index(op.f("ix_campaign_items_run_id"), table_name="campaign_items")
    op.drop_column("campaign_items", "run_id")
    op.drop_index(op.f("ix_campaigns_next_run_at"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_segment_name"), table_name="campaigns")
    op.drop_column("campaigns", "next_run_at")
    op.drop_column("campaigns", "recurrence")
    op.drop_column("campaigns", "segment_name")
    op.drop_column("campaigns", "segment")
