from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from certobot.conversations.service import CrmDown
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.dashboard import service
from certobot.dashboard.schemas import Filters, Summary
from certobot.deps import ClockDep, OperatorKey, PrincipalDep, ResourcesDep, SessionDep, require_role
from certobot.operators.service import audit
from certobot.resources import Resources
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
Creditor = Annotated[
    str | None,
    Query(max_length=120, pattern=r"^[^\x00]*$", description="Só os devedores desse credor (nome como no CRM)."),
]
SegmentName = Annotated[
    str | None,
    Query(max_length=80, pattern=r"^[^\x00]*$", description="Só as conversas das campanhas desse segmento."),
]


def _crm(resources: Resources) -> CrmClient:
    s = resources.settings
    return CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)


async def _scope(db: SessionDep, resources: Resources, creditor: str | None, segment: str | None) -> service.Scope:
    try:
        return await service.scope(db, _crm(resources), creditor or None, segment or None)
    except CrmUnavailable as exc:
        raise CrmDown("O CRM não respondeu e o filtro por credor depende dele; tente novamente em instantes.") from exc


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    numbers: Summary


async def _period(
    db: SessionDep,
    clock: ClockDep,
    resources: ResourcesDep,
    start: From = None,
    end: To = None,
    creditor: Creditor = None,
    segment: SegmentName = None,
) -> Period:
    """The query both the page and the CSV take: a period in São Paulo days, a creditor or a segment."""
    first, last = service.period(start, end, clock.now().astimezone(service.SP).date())
    return Period(first, last, await service.summary(db, first, last, await _scope(db, resources, creditor, segment)))


PeriodDep = Annotated[Period, Depends(_period)]


@router.get(
    "/summary",
    response_model=Summary,
    responses=error_responses(CrmDown),
    summary="Os números do painel num período (dias de São Paulo), por credor ou segmento",
)
async def summary(period: PeriodDep) -> Summary:
    return period.numbers


@router.get(
    "/filters",
    response_model=Filters,
    responses=error_responses(CrmDown),
    summary="Credores e segmentos que o painel sabe filtrar",
)
async def filters(db: SessionDep, resources: ResourcesDep) -> Filters:
    try:
        return await service.filters(db, _crm(resources))
    except CrmUnavailable as exc:
        raise CrmDown() from exc


@router.get(
    "/summary.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="Os mesmos números em CSV (ponto e vírgula, vírgula decimal)",
)
async def summary_csv(period: PeriodDep) -> Response:
    return Response(
        service.as_csv(period.numbers).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="certobot-{period.first}-{period.last}.csv"'},
    )


# Under /api/conversations, beside the conversations' own routes; main.py mounts it first, so that
# "export" is never read as a conversation id.
export_router = APIRouter(
    prefix="/api/conversations",
    tags=["painel"],
    dependencies=[OperatorKey, require_role("supervisor")],
    responses=error_responses(Unauthorized, service.PeriodInvalid, CrmDown),
)


@export_router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="As conversas do período em CSV (CPF mascarado, telefone só com DDD e fim); fica na auditoria",
)
async def export_conversations(
    db: SessionDep,
    clock: ClockDep,
    resources: ResourcesDep,
    who: PrincipalDep,
    start: From = None,
    end: To = None,
    creditor: Creditor = None,
    segment: SegmentName = None,
) -> Response:
    first, last = service.period(start, end, clock.now().astimezone(service.SP).date())
    body, rows = await service.export_conversations(db, first, last, await _scope(db, resources, creditor, segment))
    detail = {"from": first.isoformat(), "to": last.isoformat(), "rows": rows, "creditor": creditor, "segment": segment}
    await audit(db, who, "export_conversations", detail=detail)  # committed before the file leaves
    return Response(
        body.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="conversas-{first}-{last}.csv"'},
    )
