from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from certobot.dashboard import service
from certobot.dashboard.schemas import Summary
from certobot.deps import ClockDep, OperatorKey, SessionDep
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/metrics",
    tags=["painel"],
    dependencies=[OperatorKey],
    responses=error_responses(Unauthorized, service.PeriodInvalid),
)

From = Annotated[
    date | None, Query(alias="from", description="Primeiro dia (AAAA-MM-DD); padrão: 6 dias antes de 'to'.")
]
To = Annotated[date | None, Query(alias="to", description="Último dia, incluído (AAAA-MM-DD); padrão: hoje.")]


@router.get("/summary", response_model=Summary, summary="Os números do painel num período (dias de São Paulo)")
async def summary(db: SessionDep, clock: ClockDep, start: From = None, end: To = None) -> Summary:
    first, last = service.period(start, end, clock.now().astimezone(service.SP).date())
    return await service.summary(db, first, last)


@router.get(
    "/summary.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="Os mesmos números em CSV (ponto e vírgula, vírgula decimal)",
)
async def summary_csv(db: SessionDep, clock: ClockDep, start: From = None, end: To = None) -> Response:
    first, last = service.period(start, end, clock.now().astimezone(service.SP).date())
    body = service.as_csv(await service.summary(db, first, last))
    return Response(
        body.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="certobot-{first}-{last}.csv"'},
    )
