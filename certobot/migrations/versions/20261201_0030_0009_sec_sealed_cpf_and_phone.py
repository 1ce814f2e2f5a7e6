"""sec: CPFs, phones and payloads sealed at rest (AES-256-GCM), keyed hashes for the lookups

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-01 00:30:00+00:00

Columns become text (ciphertexts) or 64-character hashes, then every existing row is sealed with
the keys of the settings the migration runs with (`certobot migrate` configures them; otherwise the
development keys). Downgrading turns the types back but leaves values sealed: restore a backup.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certobot.sealed import CpfHash, PhoneHash, Sealed, SealedDoc, SubjectHash
from certokit.sealing import SealedTable, reseal

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → [(column, new type)]; JSON documents become sealed text
TEXT = {
    "conversations": ["debtor_cpf", "phone", "wa_id"],
    "inbound_events": ["wa_id"],
    "messages": ["phone"],
    "campaign_items": ["cpf"],
}
JSON = {
    "conversations": ["outcome"],
    "inbound_events": ["payload"],
    "status_events": ["payload"],
    "outbox": ["payload"],
    "payment_notices": ["payload"],
}
HASHES = {
    "conversations": ["phone_key"],
    "inbound_events": ["phone_key"],
    "identity_failures": ["debtor_cpf", "phone_key"],
    "identity_locks": ["subject"],
    "blocked_phones": ["phone_key", "debtor_cpf"],
}


def upgrade() -> None:
    tables = sorted({*TEXT, *JSON, *HASHES})
    for table in tables:
        with op.batch_alter_table(table) as batch:
            for col in TEXT.get(table, []):
                batch.alter_column(col, type_=sa.Text())
            for col in JSON.get(table, []):
                batch.alter_column(col, type_=sa.Text(), postgresql_using=f"{col}::text")
            for col in HASHES.get(table, []):
                batch.alter_column(col, type_=sa.String(64))
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_debtor_cpf")
        batch.add_column(sa.Column("debtor_cpf_hash", sa.String(64), nullable=True))
        batch.create_index("ix_conversations_debtor_cpf_hash", ["debtor_cpf_hash"])
    with op.batch_alter_table("campaign_items") as batch:
        batch.add_column(sa.Column("cpf_hash", sa.String(64), nullable=True))
        batch.create_index("ix_campaign_items_cpf_hash", ["cpf_hash"])

    md = sa.MetaData()
    pk_str: sa.Column[Any] = sa.Column("id", sa.String(36), primary_key=True)

    def t(name: str, pk: sa.Column[Any], *cols: sa.Column[Any]) -> sa.Table:
        return sa.Table(name, md, pk, *cols)

    def big() -> sa.Column[Any]:
        return sa.Column("id", sa.BigInteger(), primary_key=True)

    plan = [
        SealedTable(
            t(
                "conversations",
                pk_str,
                sa.Column("debtor_cpf", Sealed),
                sa.Column("debtor_cpf_hash", CpfHash),
                sa.Column("phone", Sealed),
                sa.Column("phone_key", PhoneHash),
                sa.Column("wa_id", Sealed),
                sa.Column("outcome", SealedDoc),
            ),
            ("debtor_cpf", "phone", "wa_id", "outcome"),
            {"debtor_cpf_hash": "debtor_cpf"},
            ("phone_key",),
        ),
        SealedTable(
            t("campaign_items", big(), sa.Column("cpf", Sealed), sa.Column("cpf_hash", CpfHash)),
            ("cpf",),
            {"cpf_hash": "cpf"},
        ),
        SealedTable(
            t(
                "inbound_events",
                big(),
                sa.Column("phone_key", PhoneHash),
                sa.Column("wa_id", Sealed),
                sa.Column("payload", SealedDoc),
            ),
            ("wa_id", "payload"),
            blind=("phone_key",),
        ),
        SealedTable(t("messages", big(), sa.Column("phone", Sealed)), ("phone",)),
        SealedTable(t("status_events", big(), sa.Column("payload", SealedDoc)), ("payload",)),
        SealedTable(t("outbox", big(), sa.Column("payload", SealedDoc)), ("payload",)),
        SealedTable(t("payment_notices", big(), sa.Column("payload", SealedDoc)), ("payload",)),
        SealedTable(
            t("identity_failures", big(), sa.Column("debtor_cpf", CpfHash), sa.Column("phone_key", PhoneHash)),
            (),
            blind=("debtor_cpf", "phone_key"),
        ),
        SealedTable(t("identity_locks", big(), sa.Column("subject", SubjectHash)), (), blind=("subject",)),
        SealedTable(
            t("blocked_phones", big(), sa.Column("phone_key", PhoneHash), sa.Column("debtor_cpf", CpfHash)),
            (),
            blind=("phone_key", "debtor_cpf"),
        ),
    ]
    reseal(op.get_bind(), plan)


def downgrade() -> None:
    with op.batch_alter_table("campaign_items") as batch:
        batch.drop_index("ix_campaign_items_cpf_hash")
        batch.drop_column("cpf_hash")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_debtor_cpf_hash")
        batch.drop_column("debtor_cpf_hash")
        batch.create_index("ix_conversations_debtor_cpf", ["debtor_cpf"])
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    for table in sorted({*TEXT, *JSON, *HASHES}):
        with op.batch_alter_table(table) as batch:
            for col in JSON.get(table, []):
                batch.alter_column(col, type_=json_type, postgresql_using=f"{col}::jsonb")
            for col in HASHES.get(table, []) + TEXT.get(table, []):
                batch.alter_column(col, type_=sa.Text())
