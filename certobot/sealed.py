"""The bot's keys for CPFs and phones at rest (see certokit.sealing and docs/security.md).

Columns use the types below; `configure` points them at `DATA_KEYS` / `DATA_HASH_KEY` when the app,
the worker or a command starts (until then, the development keys).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from certobot.config import SCHEMA, BotSettings
from certokit.sealing import (
    BlindIndex,
    Rotated,
    SealedJson,
    SealedTable,
    SealedText,
    Sealer,
    configure_from,
    reseal,
    reseal_database,
)

SEAL = Sealer("certobot")

Sealed = SealedText(SEAL)
SealedDoc = SealedJson(SEAL)
CpfHash = BlindIndex(SEAL, "cpf")
PhoneHash = BlindIndex(SEAL, "phone")
# Identity locks name a CPF or a phone key in one column: already normalised by the caller.
SubjectHash = BlindIndex(SEAL, "any")


def configure(settings: BotSettings) -> None:
    configure_from(
        SEAL,
        settings.data_keys.get_secret_value() if settings.data_keys else None,
        settings.data_hash_key.get_secret_value() if settings.data_hash_key else None,
    )


def plan() -> list[SealedTable]:
    """Every table holding sealed values: what `certobot rotate-keys` rewrites under the newest key."""
    from certobot.campaigns.models import CampaignItem
    from certobot.lifecycle.models import PaymentNotice
    from certobot.negotiation.models import Conversation, Outbox
    from certobot.whatsapp.models import InboundEvent, Message, StatusEvent

    return [
        SealedTable(
            Conversation.__table__,  # type: ignore[arg-type]
            ("debtor_cpf", "phone", "wa_id", "outcome"),
            {"debtor_cpf_hash": "debtor_cpf", "phone_key": "phone"},
        ),
        SealedTable(CampaignItem.__table__, ("cpf",), {"cpf_hash": "cpf"}),  # type: ignore[arg-type]
        SealedTable(Outbox.__table__, ("payload",)),  # type: ignore[arg-type]
        SealedTable(InboundEvent.__table__, ("wa_id", "payload")),  # type: ignore[arg-type]
        SealedTable(Message.__table__, ("phone",)),  # type: ignore[arg-type]
        SealedTable(StatusEvent.__table__, ("payload",)),  # type: ignore[arg-type]
        SealedTable(PaymentNotice.__table__, ("payload",)),  # type: ignore[arg-type]
    ]


def rotate(conn: Connection) -> dict[str, int]:
    """Re-seal every row under the first key of DATA_KEYS (run inside one transaction per call)."""
    return reseal(conn, plan())


async def rotate_database(settings: BotSettings) -> Rotated:
    """`certobot rotate-keys`: every sealed row rewritten under the newest key, in one transaction."""
    configure(settings)
    return await reseal_database(SEAL, settings.database_url, SCHEMA, plan())
