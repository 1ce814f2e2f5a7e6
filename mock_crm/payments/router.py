from __future__ import annotations

from fastapi import APIRouter, Response, status

from certokit.errors import Unauthorized, error_responses
from mock_crm.agreements.schemas import PaymentOut
from mock_crm.deps import ApiKey, ClockDep, SessionDep, today_in_sp
from mock_crm.payments.schemas import PaymentNotice
from mock_crm.payments.service import PaymentBoletoNotFound, PaymentIdReused, PaymentService

router = APIRouter(
    prefix="/api/payments", tags=["pagamentos"], dependencies=[ApiKey], responses=error_responses(Unauthorized)
)


@router.post(
    "",
    response_model=PaymentOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": PaymentOut, "description": "O mesmo payment_id de novo: o registro já feito."},
        **error_responses(PaymentBoletoNotFound, PaymentIdReused),
    },
    summary="Registra um pagamento como o banco ou PSP o informa (boleto ou PIX)",
)
async def record_payment(notice: PaymentNotice, session: SessionDep, clock: ClockDep, response: Response) -> PaymentOut:
    out, created = await PaymentService(session).record(notice, today_in_sp(clock))
    if not created:
        response.status_code = status.HTTP_200_OK
    return out
