from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from certokit.errors import Unauthorized, error_responses
from certokit.fields import Cpf
from mock_crm.agreements.repository import AgreementRepository
from mock_crm.agreements.schemas import AgreementOut, AgreementPage, PromiseKind, PromiseOut
from mock_crm.agreements.service import AgreementNotActive, AgreementNotFound, AgreementService
from mock_crm.deps import ApiKey, ClockDep, SessionDep, today_in_sp

router = APIRouter(
    prefix="/api/agreements", tags=["acordos"], dependencies=[ApiKey], responses=error_responses(Unauthorized)
)


async def get_service(session: SessionDep) -> AgreementService:
    return AgreementService(AgreementRepository(session))


ServiceDep = Annotated[AgreementService, Depends(get_service)]
AgreementId = Annotated[str, Path(max_length=64)]


@router.get("", response_model=AgreementPage, summary="Acordos, com parcelas e pagamentos")
async def list_agreements(
    service: ServiceDep,
    clock: ClockDep,
    status: Literal["active", "paid", "broken", "cancelled"] | None = None,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
    debtor_id: Annotated[
        int | None, Query(ge=1, le=2**62, description="Identificador interno do devedor (prefira ao CPF).")
    ] = None,
    debtor_cpf: Annotated[
        Cpf | None, Query(description="Aceito, mas o CPF não vai para os logs; prefira `debtor_id`.")
    ] = None,
    due_from: Annotated[date | None, Query(description="Alguma parcela vence a partir desta data.")] = None,
    due_to: Annotated[date | None, Query(description="Alguma parcela vence até esta data.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,  # bounded: a 64-bit column, never a 500
) -> AgreementPage:
    items = await service.search(
        today=today_in_sp(clock),
        limit=limit,
        offset=offset,
        status=status,
        session_id=session_id,
        debtor_id=debtor_id,
        debtor_cpf=debtor_cpf,
        due_from=due_from,
        due_to=due_to,
    )
    return AgreementPage(items=items, limit=limit, offset=offset)


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
