from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from certokit.clock import Clock
from certokit.errors import Invalid, Unauthorized, error_responses
from mock_crm.agreements.repository import AgreementRepository
from mock_crm.agreements.schemas import AgreementOut, AgreementPage, AgreementSearch, PromiseKind, PromiseOut
from mock_crm.agreements.service import AgreementNotActive, AgreementNotFound, AgreementService
from mock_crm.deps import ApiKey, ClockDep, SessionDep, today_in_sp

router = APIRouter(
    prefix="/api/agreements", tags=["acordos"], dependencies=[ApiKey], responses=error_responses(Unauthorized)
)


async def get_service(session: SessionDep) -> AgreementService:
    return AgreementService(AgreementRepository(session))


class CpfInUrl(Invalid):
    detail = "O CPF não vai numa URL: filtre por `debtor_cpf` no corpo de POST /api/agreements/search."


ServiceDep = Annotated[AgreementService, Depends(get_service)]
AgreementId = Annotated[str, Path(max_length=64)]


@router.get(
    "",
    response_model=AgreementPage,
    responses=error_responses(CpfInUrl),
    summary="Acordos, com parcelas e pagamentos",
)
async def list_agreements(
    request: Request,
    service: ServiceDep,
    clock: ClockDep,
    status: Literal["active", "paid", "broken", "cancelled"] | None = None,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
    debtor_id: Annotated[int | None, Query(ge=1, le=2**62, description="Identificador interno do devedor.")] = None,
    due_from: Annotated[date | None, Query(description="Alguma parcela vence a partir desta data.")] = None,
    due_to: Annotated[date | None, Query(description="Alguma parcela vence até esta data.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,  # bounded: a 64-bit column, never a 500
) -> AgreementPage:
    if "debtor_cpf" in request.query_params:
        raise CpfInUrl()  # never ignored: a filter dropped in silence would list every debtor's agreements
    search = AgreementSearch(
        status=status,
        session_id=session_id,
        debtor_id=debtor_id,
        due_from=due_from,
        due_to=due_to,
        limit=limit,
        offset=offset,
    )
    return await _page(service, clock, search)


@router.post(
    "/search",
    response_model=AgreementPage,
    summary="Acordos pelos mesmos filtros, e pelo CPF do devedor (no corpo, nunca numa URL)",
)
async def search_agreements(search: AgreementSearch, service: ServiceDep, clock: ClockDep) -> AgreementPage:
    return await _page(service, clock, search)


async def _page(service: AgreementService, clock: Clock, search: AgreementSearch) -> AgreementPage:
    items = await service.search(
        today=today_in_sp(clock),
        limit=search.limit,
        offset=search.offset,
        status=search.status,
        session_id=search.session_id,
        debtor_id=search.debtor_id,
        debtor_cpf=search.debtor_cpf,
        due_from=search.due_from,
        due_to=search.due_to,
    )
    return AgreementPage(items=items, limit=search.limit, offset=search.offset)


@router.get(
    "/{agreement_id}", response_model=AgreementOut, responses=error_responses(AgreementNotFound), summary="Um acordo"
)
async def get_agreement(agreement_id: AgreementId, service: ServiceDep, clock: ClockDep) -> AgreementOut:
    return await service.get(agreement_id, today_in_sp(clock))


@router.post(
    "/{agreement_id}/break",
    response_model=AgreementOut,
    responses=error_responses(AgreementNotFound, AgreementNotActive),
    summary="Marca o acordo como rompido (prazo de tolerância vencido sem pagamento)",
)
async def break_agreement(agreement_id: AgreementId, service: ServiceDep, clock: ClockDep) -> AgreementOut:
    return await service.mark_broken(agreement_id, clock.now())


promises_router = APIRouter(
    prefix="/api/payment-promises",
    tags=["acordos"],
    dependencies=[ApiKey],
    responses=error_responses(Unauthorized),
)


@promises_router.get("", response_model=list[PromiseOut], summary="Promessas de pagamento com data entre duas datas")
async def list_promises(
    service: ServiceDep, due_from: date, due_to: date, kind: PromiseKind = "payment_promise"
) -> list[PromiseOut]:
    return await service.promises(since=due_from, until=due_to, kind=kind)
