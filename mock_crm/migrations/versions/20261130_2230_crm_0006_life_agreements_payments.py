"""life: agreements, payments as a bank reports them, payment webhooks to the bot

Revision ID: crm_0006
Revises: crm_0005
Create Date: 2026-11-30 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certokit.db import UtcDateTime

revision: str = "crm_0006"
down_revision: str | None = "crm_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_agreements",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("installments", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["crm_debtors.id"], name="fk_crm_agreements_debtor_id_crm_debtors", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key", name="pk_crm_agreements"),
    )
    op.create_index("ix_crm_agreements_debtor_id", "crm_agreements", ["debtor_id"])
    op.create_index("ix_crm_agreements_session_id", "crm_agreements", ["session_id"])
    op.create_index("ix_crm_agreements_status", "crm_agreements", ["status"])
    # Agreements issued before this revision: one row per group of boletos, active (or cancelled/paid
    # when all of its boletos are).
    op.execute(
        """
        INSERT INTO crm_agreements (key, debtor_id, session_id, status, total_cents, installments,
                                    created_at, updated_at)
        SELECT agreement_key, MIN(debtor_id), MIN(session_id),
               CASE WHEN bool_and(status = 'cancelled') THEN 'cancelled'
                    WHEN bool_and(status = 'paid') THEN 'paid' ELSE 'active' END,
               SUM(amount_cents), MAX(installments), MIN(created_at), MIN(created_at)
        FROM crm_boletos GROUP BY agreement_key
        """
        if op.get_bind().dialect.name == "postgresql"
        else """
        INSERT INTO crm_agreements (key, debtor_id, session_id, status, total_cents, installments,
                                    created_at, updated_at)
        SELECT agreement_key, MIN(debtor_id), MIN(session_id), 'active',
               SUM(amount_cents), MAX(installments), MIN(created_at), MIN(created_at)
        FROM crm_boletos GROUP BY agreement_key
        """
    )
    op.create_table(
        "crm_payments",
        sa.Column("id", ID, nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("boleto_id", sa.String(36), nullable=False),
        sa.Column("agreement_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("applied_cents", sa.BigInteger(), nullable=False),
        sa.Column("excess_cents", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("anomaly", sa.String(40), nullable=True),
        sa.Column("paid_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["boleto_id"], ["crm_boletos.id"], name="fk_crm_payments_boleto_id_crm_boletos", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_crm_payments"),
        sa.UniqueConstraint("payment_id", name="uq_crm_payments_payment_id"),
    )
    op.create_index("ix_crm_payments_boleto_id", "crm_payments", ["boleto_id"])
    op.create_index("ix_crm_payments_agreement_key", "crm_payments", ["agreement_key"])
    op.create_table(
        "crm_payment_notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_id", sa.String(80), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_crm_payment_notifications"),
        sa.UniqueConstraint("event_id", name="uq_crm_payment_notifications_event_id"),
    )
    op.create_index(
        "ix_crm_payment_notifications_next_attempt_at", "crm_payment_notifications", ["next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("crm_payment_notifications")
    op.drop_table("crm_payments")
    op.drop_table("crm_agreements")
