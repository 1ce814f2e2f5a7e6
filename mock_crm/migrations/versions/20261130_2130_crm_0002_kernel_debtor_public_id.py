"""kernel: debtors get an opaque public id for URLs

Revision ID: crm_0002
Revises: crm_0001
Create Date: 2026-11-30 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm_0002"
down_revision: str | None = "crm_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crm_debtors", sa.Column("public_id", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE crm_debtors SET public_id = md5(random()::text || id::text) WHERE public_id IS NULL")
    else:
        op.execute("UPDATE crm_debtors SET public_id = lower(hex(randomblob(16))) WHERE public_id IS NULL")
    with op.batch_alter_table("crm_debtors") as batch:
        batch.alter_column("public_id", existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint(op.f("uq_crm_debtors_public_id"), ["public_id"])


def downgrade() -> None:
    with op.batch_alter_table("crm_debtors") as batch:
        batch.drop_constraint(op.f("uq_crm_debtors_public_id"), type_="unique")
        batch.drop_column("public_id")
