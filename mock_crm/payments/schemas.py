from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from certokit.fields import Money

Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class PaymentNotice(BaseModel):
    """A payment as a bank or PSP reports it: its own id, which boleto or PIX charge, how much, when."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "payment_id": "E00000000202612051200abcdef12345",
                "txid": "CB1234567801",
                "amount": "333.34",
                "paid_at": "2026-12-05T12:00:00-03:00",
                "channel": "pix",
            }
        },
    )

    payment_id: Ident
    boleto_id: Ident | None = None
    nosso_numero: Annotated[str, Field(pattern=r"^\d{8}$")] | None = None
    txid: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,25}$")] | None = None
    amount: Annotated[Money, Field(gt=0)]
    paid_at: AwareDatetime
    channel: Literal["boleto", "pix"]

    @model_validator(mode="after")
    def _one_reference(self) -> PaymentNotice:
        given = [x for x in (self.boleto_id, self.nosso_numero, self.txid) if x is not None]
        if len(given) != 1:
            raise ValueError("informe exatamente um entre boleto_id, nosso_numero e txid")
        return self


class NotificationBody(BaseModel):
    """What the CRM posts to the bot (`POST /webhooks/crm/payments`), signed with HMAC-SHA256."""

    event_id: str
    kind: Literal["payment.received"] = "payment.received"
    payment_id: str
    agreement_id: str
    session_id: str | None
    phone: str
    debtor_first_name: str
    installment: int
    installments: int
    amount: Money
    applied_amount: Money
    excess_amount: Money
    outcome: Literal["paid", "partial", "overpaid"]
    installment_open_amount: Money
    agreement_status: Literal["active", "paid", "broken", "cancelled"]
    agreement_paid_amount: Money
    agreement_open_amount: Money
    paid_at: datetime
