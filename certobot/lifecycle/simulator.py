"""The simulator's "pagar" button: the bank pays the debtor's next open installment, as a PSP would
notify the CRM (sandbox only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from certobot.deps import ClockDep, ResourcesDep
from certobot.lifecycle.client import AgreementsClient
from certobot.simulator import _check
from certokit.errors import NotFound
from certokit.money import brl
from certokit.phones import phone_key

router = APIRouter(prefix="/simulator", tags=["simulador"], include_in_schema=False)


class NothingToPay(NotFound):
    detail = "Este devedor não tem parcela em aberto num acordo ativo."


class PayRequest(BaseModel):
    phone: Annotated[str, Field(max_length=30)]
    channel: Annotated[str, Field(pattern="^(boleto|pix)$")] = "pix"


class PayResult(BaseModel):
    status: int
    detail: str


@router.post("/api/pay", response_model=PayResult)
async def pay_next(data: PayRequest, resources: ResourcesDep, clock: ClockDep) -> PayResult:
    _check(resources)
    client = AgreementsClient(resources.http, resources.settings)
    key = phone_key(data.phone)
    mine = [a for a in await client.active() if phone_key(a.debtor_phone) == key]
    open_ones = [(a, i) for a in mine for i in a.installments if i.status in ("open", "overdue") and i.open_amount > 0]
    if not open_ones:
        raise NothingToPay()
    _, inst = min(open_ones, key=lambda ai: (ai[1].due_date, ai[1].installment))
    r = await resources.http.post(
        f"{resources.settings.crm_base_url}/api/payments",
        json={
            "payment_id": f"SIM-{uuid.uuid4().hex[:16].upper()}",
            "boleto_id": inst.boleto_id,
            "amount": f"{inst.open_amount:.2f}",
            "paid_at": clock.now().isoformat(),
            "channel": data.channel,
        },
        headers=client.headers,
        timeout=10,
    )
    body = r.json()
    if r.is_success:
        return PayResult(status=r.status_code, detail=f"Parcela {inst.installment} paga: {brl(inst.open_amount)}.")
    return PayResult(status=r.status_code, detail=str(body.get("detail", "")))
