"""What operators do with conversations: start them, list them, read them, take them over."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.config import BotSettings
from certobot.conversations.contact_policy import refusal
from certobot.conversations.schemas import ConversationDetail, ConversationSummary, Page, TranscriptLine
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.crm.outbox import queue_contact
from certobot.crm.schemas import ContactRequest
from certobot.lifecycle.service import agreement_summary
from certobot.negotiation import texts
from certobot.negotiation.models import Conversation
from certobot.negotiation.session import LIVE, SessionState, SessionStore
from certobot.privacy.masking import mask_record
from certobot.security.blocked import is_blocked
from certobot.templates.active import whatsapp_template
from certobot.whatsapp.models import Message
from certobot.whatsapp.outbound import queue_message
from certokit.cpf import mask_cpf
from certokit.errors import Conflict, DomainError, Invalid, NotFound
from certokit.logging import scrub
from certokit.phones import phone_key
from certokit.whatsapp.graph import template_message, text_message


class ConversationNotFound(NotFound):
    detail = "Conversa não encontrada."


class DebtorUnknown(NotFound):
    detail = "Devedor não encontrado no CRM para este CPF."


class AlreadyActive(Conflict):
    detail = "Já existe uma conversa ativa com este devedor."


class ContactRefused(Invalid):
    detail = "Contato não permitido."


class NotInHandoff(Conflict):
    detail = "A conversa não está com um operador: assuma-a antes (POST .../handoff)."


class CrmDown(DomainError):
    status_code = 503
    detail = "O CRM não respondeu; tente novamente em instantes."


def _mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:]


def summary(conv: Conversation) -> ConversationSummary:
    return ConversationSummary(
        session_id=conv.id,
        phone=_mask_phone(conv.phone),
        debtor_cpf=mask_cpf(conv.debtor_cpf) if conv.debtor_cpf else None,
        origin=conv.origin,
        status=conv.status,
        phase=conv.phase,
        validation_attempts=conv.validation_attempts,
        outcome_kind=conv.outcome_kind,
        attention=conv.attention,
        created_at=conv.created_at,
        updated_at=conv.updated_at,
    )


class ConversationService:
    def __init__(self, db: AsyncSession, settings: BotSettings, crm: CrmClient, sessions: SessionStore) -> None:
        self.db = db
        self.settings = settings
        self.crm = crm
        self.sessions = sessions

    async def start(
        self, cpf: str, *, now: datetime | None = None, origin: str = "outbound", campaign_id: str | None = None
    ) -> str:
        """Open a conversation with the approved template at the debtor's registered phone."""
        now = now or datetime.now(UTC)
        try:
            debtor = await self.crm.get_debtor(cpf, fresh=True)
        except CrmUnavailable:
            raise CrmDown() from None
        if debtor is None:
            raise DebtorUnknown()
        key = phone_key(debtor.phone) or debtor.phone
        if await self._live(key) is not None:
            raise AlreadyActive()
        if await is_blocked(self.db, phone_key=key, cpf=debtor.cpf):
            raise ContactRefused("Contato recusado: este número foi informado como errado para este devedor.")
        reason = refusal(debtor, now, self.settings)
        if reason is not None:
            raise ContactRefused(f"Contato recusado: {reason}")
        conv = Conversation(
            id=str(uuid.uuid4()),
            debtor_cpf=debtor.cpf,
            phone=debtor.phone,
            phone_key=key,
            origin=origin,
            status="active",
            phase="validation",
            campaign_id=campaign_id,
        )
        self.db.add(conv)
        try:
            async with self.db.begin_nested():
                await self.db.flush()
        except IntegrityError:
            raise AlreadyActive() from None
        first_name = debtor.name.split()[0]
        await queue_message(
            self.db,
            conversation_id=conv.id,
            to=debtor.phone.lstrip("+"),
            message=template_message(
                whatsapp_template(self.settings, "wa_opening"),
                self.settings.whatsapp_template_language,
                [first_name, self.settings.creditor_name],
            ),
            transcript=f"[modelo {whatsapp_template(self.settings, 'wa_opening')}] Olá, {first_name}! "
            f"Aqui é a {self.settings.creditor_name}. Para sua segurança, responda com os 3 primeiros "
            "dígitos do seu CPF.",
            key=f"opening:{conv.id}",
        )
        await queue_contact(
            self.db,
            debtor.cpf,
            ContactRequest(kind="attempt", session_id=conv.id, notes="Mensagem de abertura."),
            key=f"contact:{conv.id}:opening",
        )
        await self.sessions.save(
            SessionState(session_id=conv.id, phone_key=key, debtor_cpf=debtor.cpf, started_at=now, prompts=1)
        )
        return conv.id

    async def _live(self, key: str) -> Conversation | None:
        return await self.db.scalar(
            select(Conversation).where(Conversation.phone_key == key, Conversation.status.in_(tuple(LIVE)))
        )

    async def list(
        self, *, status: str | None, phone: str | None, page: int, page_size: int
    ) -> Page[ConversationSummary]:
        stmt = select(Conversation)
        if status is not None:
            stmt = stmt.where(Conversation.status == status)
        if phone is not None:
            key = phone_key(phone)
            if key is None:
                raise Invalid("Telefone inválido: use +5511987654321 ou 5511987654321.")
            stmt = stmt.where(Conversation.phone_key == key)
        total = await self.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = await self.db.scalars(
            stmt.order_by(Conversation.created_at.desc(), Conversation.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        return Page(items=[summary(c) for c in rows], total=total, page=page, page_size=page_size)

    async def get(self, session_id: str) -> Conversation:
        conv = await self.db.get(Conversation, session_id)
        if conv is None:
            raise ConversationNotFound()
        return conv

    async def detail(self, session_id: str) -> ConversationDetail:
        conv = await self.get(session_id)
        rows = await self.db.scalars(
            select(Message).where(Message.conversation_id == conv.id).order_by(Message.created_at, Message.id)
        )
        transcript = [
            TranscriptLine(
                direction=m.direction,
                author=m.author,
                kind=m.kind,
                text=scrub(m.body),
                status=m.status,
                at=m.created_at,
            )
            for m in rows
        ]
        return ConversationDetail(
            **summary(conv).model_dump(),
            transcript=transcript,
            outcome=mask_record(conv.outcome),
            agreement=await agreement_summary(self.db, conv.id),
        )

    async def handoff(self, session_id: str) -> ConversationSummary:
        conv = await self.get(session_id)
        if conv.status not in LIVE:
            raise Conflict("A conversa já terminou e não pode ser assumida.")
        conv.status = "handoff"
        await self._sync_session(conv)
        return summary(conv)

    async def handback(self, session_id: str) -> ConversationSummary:
        conv = await self.get(session_id)
        if conv.status != "handoff":
            raise NotInHandoff()
        conv.status = "active"
        conv.attention = None  # the team looked and chose to give it back: it no longer waits for them
        await self._sync_session(conv)
        await queue_message(
            self.db,
            conversation_id=conv.id,
            to=conv.wa_id or conv.phone.lstrip("+"),
            message=text_message(texts.OPERATOR_RETURNED[0]),
            transcript=texts.OPERATOR_RETURNED[0],
            key=f"handback:{conv.id}:{uuid.uuid4()}",
        )
        return summary(conv)

    async def operator_message(self, session_id: str, text: str) -> None:
        conv = await self.get(session_id)
        if conv.status != "handoff":
            raise NotInHandoff()
        conv.attention = None  # a person of the team is talking to them now: the bot's CVV line stops
        await queue_message(
            self.db,
            conversation_id=conv.id,
            to=conv.wa_id or conv.phone.lstrip("+"),
            message=text_message(text),
            transcript=scrub(text),
            key=f"operator:{conv.id}:{uuid.uuid4()}",
            author="operator",
        )

    async def _sync_session(self, conv: Conversation) -> None:
        state = await self.sessions.load(conv.phone_key, conv.id)
        if state is not None:
            state.status = conv.status  # type: ignore[assignment]
            await self.sessions.save(state)
