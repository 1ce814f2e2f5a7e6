from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, status

from certobot.conversations.schemas import (
    ConversationDetail,
    ConversationSummary,
    Handoff,
    OperatorMessage,
    Page,
    StartConversation,
    Started,
)
from certobot.conversations.service import (
    AlreadyActive,
    ContactRefused,
    ConversationNotFound,
    ConversationService,
    CrmDown,
    DebtorUnknown,
    NotInHandoff,
)
from certobot.conversations.stats import Funnel, funnel
from certobot.crm.client import CrmClient
from certobot.deps import OperatorKey, PrincipalDep, ResourcesDep, SessionDep, require_role
from certobot.negotiation.session import SessionStore
from certobot.operators.service import audit
from certobot.whatsapp.pipeline import deliver_now
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/conversations",
    tags=["conversas"],
    dependencies=[OperatorKey],
    responses=error_responses(Unauthorized),
)


async def get_service(db: SessionDep, resources: ResourcesDep) -> ConversationService:
    s = resources.settings
    crm = CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)
    sessions = SessionStore(resources.redis, keep_seconds=max(3600, s.conversation_timeout_seconds * 10))
    return ConversationService(db, s, crm, sessions)


ServiceDep = Annotated[ConversationService, Depends(get_service)]
SessionId = Annotated[str, Path(max_length=64, description="O session_id da conversa.")]


@router.get(
    "/stats/funnel", response_model=Funnel, summary="Funil: contatados → responderam → validados → acordos → boleto"
)
async def stats(db: SessionDep) -> Funnel:
    return await funnel(db)


@router.post(
    "",
    response_model=Started,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(DebtorUnknown, AlreadyActive, ContactRefused, CrmDown),
    dependencies=[require_role("supervisor")],
    summary="Inicia uma conversa com o modelo aprovado no telefone cadastrado (supervisor)",
)
async def start(
    data: StartConversation,
    service: ServiceDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
    db: SessionDep,
    who: PrincipalDep,
) -> Started:
    session_id = await service.start(data.cpf, now=resources.clock.now())
    await audit(db, who, "start_conversation", target=session_id)
    background.add_task(deliver_now, resources, session_id)  # runs after the commit and the 202
    return Started(session_id=session_id)


@router.get("", response_model=Page[ConversationSummary], summary="Lista conversas, com filtros")
async def list_conversations(
    service: ServiceDep,
    status_: Annotated[
        Literal["active", "completed", "failed", "abandoned", "handoff"] | None, Query(alias="status")
    ] = None,
    phone: Annotated[str | None, Query(max_length=30)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ConversationSummary]:
    return await service.list(status=status_, phone=phone, page=page, page_size=page_size)


@router.get(
    "/{session_id}",
    response_model=ConversationDetail,
    responses=error_responses(ConversationNotFound),
    summary="Detalhe: fase, tentativas, transcrição mascarada e resultado",
)
async def detail(session_id: SessionId, service: ServiceDep, db: SessionDep, who: PrincipalDep) -> ConversationDetail:
    out = await service.detail(session_id)
    await audit(db, who, "view_transcript", target=session_id)
    return out


@router.post(
    "/{session_id}/handoff",
    response_model=ConversationSummary,
    responses=error_responses(ConversationNotFound),
    summary="Um operador assume a conversa: o bot fica em silêncio",
)
async def handoff(
    session_id: SessionId, service: ServiceDep, db: SessionDep, who: PrincipalDep, _: Handoff | None = None
) -> ConversationSummary:
    out = await service.handoff(session_id)
    await audit(db, who, "takeover", target=session_id)
    return out


@router.post(
    "/{session_id}/handback",
    response_model=ConversationSummary,
    responses=error_responses(ConversationNotFound, NotInHandoff),
    summary="O operador devolve a conversa ao bot",
)
async def handback(
    session_id: SessionId,
    service: ServiceDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
    db: SessionDep,
    who: PrincipalDep,
) -> ConversationSummary:
    out = await service.handback(session_id)
    await audit(db, who, "handback", target=session_id)
    background.add_task(deliver_now, resources, session_id)
    return out


@router.post(
    "/{session_id}/messages",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(ConversationNotFound, NotInHandoff),
    summary="O operador escreve na conversa que assumiu",
)
async def operator_message(
    session_id: SessionId,
    data: OperatorMessage,
    service: ServiceDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
    db: SessionDep,
    who: PrincipalDep,
) -> dict[str, str]:
    await service.operator_message(session_id, data.text)
    await audit(db, who, "send", target=session_id, detail={"chars": len(data.text)})
    background.add_task(deliver_now, resources, session_id)
    return {"status": "queued"}
