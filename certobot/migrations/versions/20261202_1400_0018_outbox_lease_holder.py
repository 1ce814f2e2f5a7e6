"""outbox: the Postgres backend whose connection holds a row's lease

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 14:00:00+00:00

A CRM row leased by a process that then died waited out its whole lease (two minutes) before
another process could deliver it: a debtor who had just said "fechou" waited that long for the
outcome, and so for the boleto. The lease now also names the backend of the connection its worker
holds for the batch; a row whose backend is gone (its process died, the connection with it) is free
at once (certobot.outbox.claim).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("locked_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "locked_by")
