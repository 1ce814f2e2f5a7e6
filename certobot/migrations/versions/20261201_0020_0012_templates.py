"""templates: every saved version of the texts the bot sends (the newest of a key is in force)

Revision ID: 0012
Revises: 0014
Create Date: 2026-12-01 00:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from certokit.db import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "template_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(60), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_template_versions"),
        sa.UniqueConstraint("key", "version", name="uq_template_versions_key_version"),
    )


def downgrade() -> None:
    op.drop_table("template_versions")
