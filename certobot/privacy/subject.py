"""Data-subject requests (LGPD art. 18) and retention, on the bot's data; the CRM's part is called over HTTP.

Anonymising keeps what the creditor needs (that a conversation happened, when, how it ended, the
amounts agreed) and removes who it was with: CPF, phone, WhatsApp id, message texts, notes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.campaigns.models import CampaignItem
from certobot.config import BotSettings
from certobot.crm.client import CACHE_PREFIX
from certobot.inbox.models import InboxCard
from certobot.negotiation.models import Conversation, Outbox
from certobot.negotiation.session import LIVE
from certobot.security.models import BlockedPhone, IdentityFailure, IdentityLock
from certobot.whatsapp.models import InboundEvent, Message
from certokit.errors import Conflict, DomainError, NotFound

REMOVED = "[removido]"
ANONYMOUS = "anonimizado"
# The phone key of an anonymised conversation: shaped like a hash, so the column stores it as it is
# and retention can tell those rows apart (sealed columns cannot be compared).
ANONYMOUS_KEY = "0" * 64
KEEP_IN_OUTCOME = frozenset(
    {
        "session_id",
        "outcome",
        "agreed_amount",
        "discount_amount",
        "installments",
        "payment_date",
        "scheduled_payment_dates",
        "payment_method",
        "interaction_timestamp",
        "duration",
    }
)


class SubjectUnknown(NotFound):
    detail = "Nenhum dado encontrado para este CPF."


class SubjectInConversation(Conflict):
    detail = "Há uma conversa em andamento com este titular: encerre-a antes de apagar os dados."


class CrmUnreachable(DomainError):
    status_code = 503
    detail = "O CRM não respondeu; nada foi apagado. Tente novamente em instantes."


async def export_bot(db: AsyncSession, cpf: str) -> dict[str, Any]:
    convs = (
        await db.scalars(
            select(Conversation).where(Conversation.debtor_cpf_hash == cpf).order_by(Conversation.created_at)
        )
    ).all()
    out: list[dict[str, Any]] = []
    for c in convs:
        msgs = (
            await db.scalars(select(Message).where(Message.conversation_id == c.id).order_by(Message.created_at))
        ).all()
        out.append(
            {
                "sessao": c.id,
                "telefone": c.phone,
                "inicio": c.created_at.isoformat(),
                "fim": c.ended_at.isoformat() if c.ended_at else None,
                "situacao": c.status,
                "resultado": c.outcome,
                "mensagens": [{"quem": m.author, "quando": m.created_at.isoformat(), "texto": m.body} for m in msgs],
            }
        )
    failures = await db.scalar(select(IdentityFailure.id).where(IdentityFailure.debtor_cpf == cpf).limit(1))
    blocked = (await db.scalars(select(BlockedPhone.phone_key).where(BlockedPhone.debtor_cpf == cpf))).all()
    return {
        "conversas": out,
        "tentativas_de_identificacao_erradas": failures is not None,
        "telefones_informados_como_errados": len(blocked),
    }


async def anonymise_conversation(db: AsyncSession, conv: Conversation) -> None:
    if conv.outcome is not None:
        conv.outcome = {k: v for k, v in conv.outcome.items() if k in KEEP_IN_OUTCOME}
    old_key = conv.phone_key
    conv.debtor_cpf, conv.wa_id, conv.phone = None, None, ANONYMOUS
    conv.session = None  # the durable session: the CPF, the model's history of what the debtor wrote
    conv.phone_key = ANONYMOUS_KEY
    # The inbox's copy of the name and amount, and the team's note, go with the rest.
    await db.execute(delete(InboxCard).where(InboxCard.conversation_id == conv.id))
    await db.execute(update(Message).where(Message.conversation_id == conv.id).values(body=REMOVED, phone=ANONYMOUS))
    # Sent or given-up effects keep no payload: it held the phone, the text, the CPF.
    await db.execute(
        update(Outbox).where(Outbox.conversation_id == conv.id, Outbox.status != "pending").values(payload={})
    )
    await db.execute(
        update(InboundEvent)
        .where(InboundEvent.phone_key == old_key, InboundEvent.processed_at.is_not(None))
        .values(payload=None, wa_id=ANONYMOUS)
    )


async def erase_bot(db: AsyncSession, redis: Redis, cpf: str) -> int:
    convs = (await db.scalars(select(Conversation).where(Conversation.debtor_cpf_hash == cpf).with_for_update())).all()
    if any(c.status in LIVE for c in convs):
        raise SubjectInConversation()
    for c in convs:
        await anonymise_conversation(db, c)
    await db.execute(delete(IdentityFailure).where(IdentityFailure.debtor_cpf == cpf))
    await db.execute(delete(IdentityLock).where(IdentityLock.subject_kind == "cpf", IdentityLock.subject == cpf))
    await db.execute(delete(BlockedPhone).where(BlockedPhone.debtor_cpf == cpf))
    await db.execute(update(CampaignItem).where(CampaignItem.cpf_hash == cpf).values(cpf=ANONYMOUS, cpf_hash=None))
    await db.flush()
    await redis.delete(CACHE_PREFIX + cpf)
    return len(convs)


async def crm_call(http: httpx.AsyncClient, settings: BotSettings, action: str, cpf: str) -> dict[str, Any] | None:
    """The CRM's part; None when the CRM has no such debtor (already erased, or never there)."""
    try:
        r = await http.post(
            f"{settings.crm_base_url}/api/data-subject/{action}",
            json={"cpf": cpf},
            headers={"Authorization": f"Bearer {settings.crm_api_key.get_secret_value()}"},
            timeout=15,
        )
    except httpx.HTTPError:
        raise CrmUnreachable() from None
    if r.status_code == 404:
        return None
    if r.status_code != 200:
        raise CrmUnreachable()
    body: dict[str, Any] = r.json()
    return body


async def anonymise_expired(db: AsyncSession, *, before: datetime, limit: int = 500) -> int:
    """Retention: closed conversations that ended before `before` lose their personal data."""
    convs = (
        await db.scalars(
            select(Conversation)
            .where(
                Conversation.ended_at < before,
                Conversation.status.not_in(tuple(LIVE)),
                Conversation.phone_key != ANONYMOUS_KEY,
            )
            .order_by(Conversation.ended_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for c in convs:
        await anonymise_conversation(db, c)
    await db.flush()
    return len(convs)
