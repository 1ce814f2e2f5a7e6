from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from certobot.crm.client import CrmClient
from certobot.deps import ClockDep, OperatorKey, PrincipalDep, ResourcesDep, SessionDep
from certobot.inbox import service
from certobot.inbox.schemas import InboxPage, InboxQuery, InboxRow, NoteIn, NoteOut
from certobot.operators.service import audit
from certokit.db import transaction
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/inbox",
    tags=["caixa de entrada"],
    dependencies=[OperatorKey],
    responses=error_responses(Unauthorized),
)


@router.post(
    "/search",
    response_model=InboxPage,
    summary="Conversas com nome, CPF mascarado, valor e situação; busca por nome, CPF ou telefone (no corpo)",
)
async def search(query: InboxQuery, resources: ResourcesDep) -> InboxPage:
    s = resources.settings
    crm = CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)
    await service.fill_cards(resources.sessionmaker, crm, resources.clock.now())
    async with transaction(resources.sessionmaker) as db:
        return await service.search(db, query)


@router.get(
    "/{session_id}/note",
    response_model=NoteOut,
    responses=error_responses(service.ConversationNotFound),
    summary="A anotação da equipe sobre a conversa",
)
async def read_note(session_id: Annotated[str, Path(max_length=64)], db: SessionDep) -> NoteOut:
    return await service.read_note(db, session_id)


@router.put(
    "/{session_id}/note",
    response_model=NoteOut,
    responses=error_responses(service.ConversationNotFound),
    summary="Anotação do operador sobre a conversa",
)
async def note(
    session_id: Annotated[str, Path(max_length=64)],
    data: NoteIn,
    db: SessionDep,
    clock: ClockDep,
    who: PrincipalDep,
) -> NoteOut:
    out = await service.save_note(db, session_id, data.note, who.actor, clock.now())
    await audit(db, who, "note", target=session_id, detail={"chars": len(data.note)})
    return out


@router.post(
    "/{session_id}/cared",
    response_model=InboxRow,
    responses=error_responses(service.ConversationNotFound),
    summary="Marca que alguém da equipe já cuidou de quem falou em tirar a própria vida (o alerta sai)",
)
async def cared(session_id: Annotated[str, Path(max_length=64)], db: SessionDep, who: PrincipalDep) -> InboxRow:
    out = await service.mark_cared(db, session_id)
    await audit(db, who, "cared", target=session_id)
    return out
