from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from certokit.errors import Unauthorized, error_responses
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.boletos.schemas import BoletoBatch, BoletoOut, PaymentAgreement
from mock_crm.boletos.service import AgreementInvalid, BoletoNotFound, BoletoService
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.debtors.service import DebtorNotFound
from mock_crm.deps import ApiKey, SessionDep, SettingsDep

router = APIRouter(
    prefix="/api/boletos", tags=["boletos"], dependencies=[ApiKey], responses=error_responses(Unauthorized)
)


async def get_service(session: SessionDep, settings: SettingsDep, request: Request) -> BoletoService:
    return BoletoService(BoletoRepository(session), DebtorRepository(session), settings, str(request.base_url))


ServiceDep = Annotated[BoletoService, Depends(get_service)]
BoletoId = Annotated[str, Path(max_length=64)]


@router.post(
    "/generate",
    response_model=BoletoBatch,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": BoletoBatch, "description": "O mesmo acordo de novo: os boletos já emitidos."},
        **error_responses(DebtorNotFound, AgreementInvalid),
    },
    summary="Emite os boletos (um por parcela) de um acordo e os envia pelo WhatsApp",
)
async def generate(agreement: PaymentAgreement, service: ServiceDep, response: Response) -> BoletoBatch:
    batch, created = await service.issue(agreement)
    if not created:
        response.status_code = status.HTTP_200_OK
    return batch


@router.get("/{boleto_id}", response_model=BoletoOut, responses=error_responses(BoletoNotFound), summary="Um boleto")
async def get_boleto(boleto_id: BoletoId, service: ServiceDep) -> BoletoOut:
    return (await service.out([await service.get(boleto_id)]))[0]


@router.get(
    "/{boleto_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(BoletoNotFound)},
    summary="O PDF do boleto (recibo do pagador e ficha de compensação, com PIX)",
)
async def get_pdf(boleto_id: BoletoId, service: ServiceDep) -> Response:
    row = await service.get(boleto_id)
    body = await service.pdf_of(row)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="boleto-{row.installment}-de-{row.installments}.pdf"'},
    )
