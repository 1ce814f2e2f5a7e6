from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from certobot.deps import ClockDep, OperatorKey, PrincipalDep, SessionDep, require_role
from certobot.operators.service import audit
from certobot.review import service
from certobot.review.schemas import LabelIn, ReviewItem, ReviewPage, ReviewStatus
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/review",
    tags=["não entendidas"],
    dependencies=[OperatorKey, require_role("supervisor")],
    responses=error_responses(Unauthorized),
)


@router.get(
    "",
    response_model=ReviewPage,
    summary="Mensagens que a assistente não entendeu ou passou para atendente, com a conversa em volta (supervisor)",
)
async def review_queue(
    db: SessionDep,
    status: Annotated[ReviewStatus, Query(description="pending (sem rótulo), labelled ou all.")] = "pending",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReviewPage:
    return await service.queue(db, status=status, page=page, page_size=page_size)


@router.get(
    "/export",
    response_class=Response,
    summary="As mensagens rotuladas no formato do corpus do classificador (JSON lines, supervisor)",
)
async def export(db: SessionDep, who: PrincipalDep) -> Response:
    rows = await service.export(db)
    await audit(db, who, "review_export", detail={"rows": len(rows)})
    return Response(
        service.jsonl(rows),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="nao-entendidas.jsonl"'},
    )


@router.put(
    "/{message_id}",
    response_model=ReviewItem,
    responses=error_responses(service.MessageNotInQueue, service.UnknownLabel),
    summary="Rotula a mensagem com a intenção que deveria ter sido, ou 'ignorar' (supervisor)",
)
async def label(
    message_id: Annotated[int, Path(ge=1, le=2**62)],
    data: LabelIn,
    db: SessionDep,
    clock: ClockDep,
    who: PrincipalDep,
) -> ReviewItem:
    out = await service.label(db, message_id, data.label, who.actor, clock.now())
    await audit(db, who, "review_label", target=str(message_id), detail={"label": out.label})
    return out
