"""conversations: `attention`, a person in crisis the team has not yet cared for

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 17:00:00+00:00

A conversation where someone spoke of ending their life went to "Com atendente" like any other
handoff: the team could not tell it from a debtor who asked for a person, and the bot stayed silent
to whatever the person wrote next. The row now says so (`attention = 'crisis'`) until someone of the
team writes to them or marks it cared for; the inbox lists those first, and the bot answers each new
message with the CVV while nobody has.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("attention", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("conversations", "attention")
