"""policies: the creditor's negotiation policy per creditor and segment, seeded with today's rules

Revision ID: 0013
Revises: 0015
Create Date: 2026-12-01 00:20:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from certokit.db import UtcDateTime

revision: str = "0013"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    table = op.create_table(
        "negotiation_policies",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("creditor", sa.String(120), nullable=False),
        sa.Column("segment", sa.String(40), nullable=False),
        sa.Column("days_min", sa.Integer(), nullable=False),
        sa.Column("days_max", sa.Integer(), nullable=True),
        sa.Column("amount_min_cents", BIG, nullable=False),
        sa.Column("amount_max_cents", BIG, nullable=True),
        sa.Column("max_discount_cash_bp", sa.Integer(), nullable=False),
        sa.Column("max_discount_installments_bp", sa.Integer(), nullable=True),
        sa.Column("min_installment_cents", BIG, nullable=False),
        sa.Column("max_installments", sa.Integer(), nullable=False),
        sa.Column("down_payment_required", sa.Boolean(), nullable=False),
        sa.Column("down_payment_min_bp", sa.Integer(), nullable=False),
        sa.Column("down_payment_min_cents", BIG, nullable=False),
        sa.Column("first_due_min_days", sa.Integer(), nullable=False),
        sa.Column("first_due_default_days", sa.Integer(), nullable=False),
        sa.Column("first_due_max_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(60), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_negotiation_policies"),
        sa.UniqueConstraint("creditor", "segment", name="uq_negotiation_policies_creditor"),
    )
    # The global default, equal to the rules before this table (certobot.policies.rules.DEFAULT_POLICY):
    # the CRM's per-debtor limits decide, installments keep half the cash discount, entrada from 10 %,
    # first due date 1–30 days ahead, 3 by default. Behaviour is unchanged until an admin edits it.
    op.bulk_insert(
        table,
        [
            {
                "creditor": "*",
                "segment": "todos",
                "days_min": 0,
                "days_max": None,
                "amount_min_cents": 0,
                "amount_max_cents": None,
                "max_discount_cash_bp": 10000,
                "max_discount_installments_bp": None,
                "min_installment_cents": 100,
                "max_installments": 72,
                "down_payment_required": False,
                "down_payment_min_bp": 1000,
                "down_payment_min_cents": 0,
                "first_due_min_days": 1,
                "first_due_default_days": 3,
                "first_due_max_days": 30,
                "version": 1,
                "updated_by": "migração 0013",
                "updated_at": datetime(2026, 12, 1, tzinfo=UTC),
            }
        ],
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (certobot up) has one process: the edit refreshes its own cache
    # Every process caches the policies (no query per conversation turn); the NOTIFY, delivered at
    # COMMIT, tells them to reload.
    op.execute(
        """
        CREATE FUNCTION notify_policies() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('certobot_policies', '');
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER notify_policies AFTER INSERT OR UPDATE OR DELETE ON negotiation_policies "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_policies()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS notify_policies ON negotiation_policies")
        op.execute("DROP FUNCTION IF EXISTS notify_policies()")
    op.drop_table("negotiation_policies")
