"""pdf: the debtor's address (street, number, complement, district, CEP) for the boleto's Pagador box

Revision ID: crm_0007
Revises: crm_0006
Create Date: 2026-11-30 22:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm_0007"
down_revision: str | None = "crm_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("street", 200), ("number", 20), ("complement", 100), ("district", 100), ("cep", 8))


def upgrade() -> None:
    with op.batch_alter_table("crm_debtors") as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_debtors") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
