"""sec: CPFs, phones, boleto PDFs and stored responses sealed at rest; wrong API keys counted per client

Revision ID: crm_0008
Revises: crm_0007
Create Date: 2026-12-01 00:30:00+00:00

Columns become text (ciphertexts) or 64-character hashes, then every existing row is sealed with
the keys of the settings the migration runs with (`mock-crm migrate` configures them; otherwise the
development keys). Downgrading turns the types back but leaves values sealed: restore a backup.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certokit.sealing import SealedTable, reseal
from mock_crm.sealed import CpfHash, PhoneHash, Sealed, SealedBlob, SealedDoc

revision: str = "crm_0008"
down_revision: str | None = "crm_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = ("crm_negotiation_results", "crm_payment_notifications")


def upgrade() -> None:
    op.create_table(
        "crm_auth_failures",
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", "window_start", name=op.f("pk_crm_auth_failures")),
    )
    with op.batch_alter_table("crm_debtors") as batch:
        batch.drop_constraint("uq_crm_debtors_cpf", type_="unique")
        batch.alter_column("cpf", type_=sa.Text())
        batch.alter_column("phone", type_=sa.Text())
        batch.alter_column("phone_key", type_=sa.String(64))
        batch.add_column(sa.Column("cpf_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("crm_boleto_deliveries") as batch:
        batch.alter_column("phone", type_=sa.Text())
    for table in JSON:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("payload", type_=sa.Text(), postgresql_using="payload::text")

    md = sa.MetaData()
    big = sa.BigInteger()
    plan = [
        SealedTable(
            sa.Table(
                "crm_debtors",
                md,
                sa.Column("id", big, primary_key=True),
                sa.Column("cpf", Sealed),
                sa.Column("cpf_hash", CpfHash),
                sa.Column("phone", Sealed),
                sa.Column("phone_key", PhoneHash),
            ),
            ("cpf", "phone"),
            {"cpf_hash": "cpf"},
            ("phone_key",),
        ),
        SealedTable(
            sa.Table("crm_boletos", md, sa.Column("id", sa.String(36), primary_key=True), sa.Column("pdf", SealedBlob)),
            ("pdf",),
        ),
        SealedTable(
            sa.Table("crm_boleto_deliveries", md, sa.Column("id", big, primary_key=True), sa.Column("phone", Sealed)),
            ("phone",),
        ),
        SealedTable(
            sa.Table(
                "crm_idempotency_keys",
                md,
                sa.Column("key", sa.String(200), primary_key=True),
                sa.Column("body", SealedBlob),
            ),
            ("body",),
        ),
        *(
            SealedTable(
                sa.Table(table, md, sa.Column("id", big, primary_key=True), sa.Column("payload", SealedDoc)),
                ("payload",),
            )
            for table in JSON
        ),
    ]
    reseal(op.get_bind(), plan)
    with op.batch_alter_table("crm_debtors") as batch:
        batch.alter_column("cpf_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_crm_debtors_cpf_hash", ["cpf_hash"])


def downgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    for table in JSON:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("payload", type_=json_type, postgresql_using="payload::jsonb")
    with op.batch_alter_table("crm_debtors") as batch:
        batch.drop_constraint("uq_crm_debtors_cpf_hash", type_="unique")
        batch.drop_column("cpf_hash")
        batch.create_unique_constraint("uq_crm_debtors_cpf", ["cpf"])
    op.drop_table("crm_auth_failures")
