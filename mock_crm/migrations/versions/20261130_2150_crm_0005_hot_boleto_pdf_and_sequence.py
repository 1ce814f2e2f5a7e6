"""hot: boleto PDF stored at issue; nosso número from a sequence

Revision ID: crm_0005
Revises: crm_0004
Create Date: 2026-11-30 21:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm_0005"
down_revision: str | None = "crm_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crm_boletos") as batch:
        batch.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE crm_nosso_numero_seq")
        # Past every number already issued (they were derived from a hash, anywhere below 10^8).
        op.execute(
            "SELECT setval('crm_nosso_numero_seq', "
            "GREATEST(1, COALESCE((SELECT MAX(nosso_numero::bigint) FROM crm_boletos), 0)), "
            "(SELECT COUNT(*) > 0 FROM crm_boletos))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS crm_nosso_numero_seq")
    with op.batch_alter_table("crm_boletos") as batch:
        batch.drop_column("pdf")
