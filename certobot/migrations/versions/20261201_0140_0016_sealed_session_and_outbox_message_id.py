"""merge: the one-statement turn meets sealing (durable session sealed, flood keys hashed, outbox.message_id)

Revision ID: 0016
Revises: 0009
Create Date: 2026-12-01 01:40:00+00:00

The durable session (0010) holds the CPF and what the debtor wrote: sealed like the rest (0009).
The webhook's flood counter is keyed by the phone's hash. A WhatsApp outbox row names the transcript
line it delivers in a column: the turn's single statement learns that line's id in SQL and cannot
put it inside a sealed payload.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certobot.sealed import SealedDoc
from certokit.sealing import SealedTable, reseal

revision: str = "0016"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("session", type_=sa.Text(), postgresql_using="session::text")
    # Counters of the current minute only: nothing worth keeping across the change of key.
    op.execute("DELETE FROM inbound_floods")
    with op.batch_alter_table("inbound_floods") as batch:
        batch.alter_column("phone_key", type_=sa.String(64))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
    md = sa.MetaData()
    table = sa.Table(
        "conversations", md, sa.Column("id", sa.String(36), primary_key=True), sa.Column("session", SealedDoc)
    )
    reseal(op.get_bind(), [SealedTable(table, ("session",))])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("message_id")
    op.execute("DELETE FROM inbound_floods")
    with op.batch_alter_table("inbound_floods") as batch:
        batch.alter_column("phone_key", type_=sa.String(16))
    op.execute("UPDATE conversations SET session = NULL")  # sealed text cannot become JSON again
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column(
            "session",
            type_=sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            postgresql_using="session::jsonb",
        )
