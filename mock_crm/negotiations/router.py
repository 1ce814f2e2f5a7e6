from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from certokit.errors import Unauthorized, error_responses
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.boletos.service import AgreementInvalid, BoletoService
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.debtors.service import DebtorNotFound
from mock_crm.deps import ApiKey, SessionDep, SettingsDep
from mock_crm.negotiations.repository import NegotiationRepository
from mock_crm.negotiations.schemas import ConversationOutcome, StoredOutcome
from mock_crm.negotiations.service import AgreementAlreadyPaid, NegotiationService, OutcomeAnonymised, OutcomeNotFound

router = APIRouter(
    prefix="/api/negotiations",
    tags=["negociações"],
    dependencies=[ApiKey],
    responses=error_responses(Unauthorized),
)


async def get_service(session: SessionDep, settings: SettingsDep, request: Request) -> NegotiationService:
    debtors = DebtorRepository(session)
    boletos = BoletoService(BoletoRepository(session), debtors, settings, str(request.base_url))
    return NegotiationService(NegotiationRepository(session), debtors, boletos)


ServiceDep = Annotated[NegotiationService, Depends(get_service)]


@router.post(
    "/results",
    response_model=StoredOutcome,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": StoredOutcome, "description": "Já registrado: o registro existente."},
        **error_responses(DebtorNotFound, AgreementInvalid, OutcomeAnonymised),
    },
    summary="Registra o resultado de uma conversa (idempotente por session_id)",
)
async def post_result(outcome: ConversationOutcome, service: ServiceDep, response: Response) -> StoredOutcome:
    stored, created = await service.record(outcome)
    if not created:
        response.status_code = status.HTTP_200_OK
    return stored


@router.get(
    "/results/{session_id}",
    response_model=StoredOutcome,
    responses=error_responses(OutcomeNotFound, OutcomeAnonymised),
    summary="Resultado de uma conversa, com as referências dos boletos",
)
async def get_result(session_id: Annotated[str, Path(max_length=64)], service: ServiceDep) -> StoredOutcome:
    return await service.get(session_id)


@router.post(
    "/results/{session_id}/cancel",
    response_model=StoredOutcome,
    responses=error_responses(OutcomeNotFound, AgreementAlreadyPaid),
    summary="Cancela o acordo de uma conversa antes do primeiro pagamento (os boletos deixam de valer)",
)
async def cancel_result(session_id: Annotated[str, Path(max_length=64)], service: ServiceDep) -> StoredOutcome:
    return await service.cancel(session_id)
