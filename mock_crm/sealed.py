"""The CRM's keys for CPFs, phones and boleto PDFs at rest (see certokit.sealing and docs/security.md).

Columns use the types below; `configure` points them at `DATA_KEYS` / `DATA_HASH_KEY` when the app
or a command starts (until then, the development keys).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from certokit.sealing import (
    BlindIndex,
    Rotated,
    SealedBytes,
    SealedJson,
    SealedTable,
    SealedText,
    Sealer,
    configure_from,
    reseal,
    reseal_database,
)
from mock_crm.settings import SCHEMA, CrmSettings

SEAL = Sealer("mock_crm")

Sealed = SealedText(SEAL)
SealedDoc = SealedJson(SEAL)
SealedBlob = SealedBytes(SEAL)
CpfHash = BlindIndex(SEAL, "cpf")
PhoneHash = BlindIndex(SEAL, "phone")


def configure(settings: CrmSettings) -> None:
    configure_from(
        SEAL,
        settings.data_keys.get_secret_value() if settings.data_keys else None,
        settings.data_hash_key.get_secret_value() if settings.data_hash_key else None,
    )


def plan() -> list[SealedTable]:
    """Every table holding sealed values: what `mock-crm rotate-keys` rewrites under the newest key."""
    from mock_crm.boletos.models import Boleto, BoletoDelivery
    from mock_crm.debtors.models import Debtor
    from mock_crm.idempotency import IdempotencyKey
    from mock_crm.negotiations.models import NegotiationResult
    from mock_crm.payments.models import PaymentNotification

    return [
        SealedTable(Debtor.__table__, ("cpf", "phone"), {"cpf_hash": "cpf", "phone_key": "phone"}),  # type: ignore[arg-type]
        SealedTable(Boleto.__table__, ("pdf",)),  # type: ignore[arg-type]
        SealedTable(BoletoDelivery.__table__, ("phone",)),  # type: ignore[arg-type]
        SealedTable(IdempotencyKey.__table__, ("body",)),  # type: ignore[arg-type]
        SealedTable(NegotiationResult.__table__, ("payload",)),  # type: ignore[arg-type]
        SealedTable(PaymentNotification.__table__, ("payload",)),  # type: ignore[arg-type]
    ]


def rotate(conn: Connection) -> dict[str, int]:
    """Re-seal every row under the first key of DATA_KEYS (run inside one transaction per call)."""
    return reseal(conn, plan())


async def rotate_database(settings: CrmSettings) -> Rotated:
    """`mock-crm rotate-keys`: every sealed row rewritten under the newest key, in one transaction."""
    configure(settings)
    return await reseal_database(SEAL, settings.database_url, SCHEMA, plan())
