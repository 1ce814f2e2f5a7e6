"""What the policies API reads and writes. Ranges are checked by `rules.problems`, in Portuguese."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from certokit.fields import ShortText


def _two_places(v: Decimal) -> Decimal:
    if v != v.quantize(Decimal("0.01")):
        raise ValueError("use no máximo duas casas decimais")
    return v.quantize(Decimal("0.01"))


Pct = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=9),
    AfterValidator(_two_places),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
Cents = Annotated[int, Field(ge=-(10**12), le=10**12)]
Days = Annotated[int, Field(ge=-100_000, le=100_000)]


class PolicyFields(BaseModel):
    creditor: Annotated[ShortText, Field(max_length=120, description="Como o CRM chama o credor; * = todos.")]
    segment: Annotated[ShortText, Field(max_length=40, description="Nome do segmento; todos = qualquer dívida.")]
    days_min: Days = 0
    days_max: Days | None = None
    amount_min_cents: Cents = 0
    amount_max_cents: Cents | None = None
    max_discount_cash_pct: Pct
    max_discount_installments_pct: Pct | None = Field(default=None, description="Vazio: metade do desconto à vista.")
    min_installment_cents: Cents
    max_installments: Days
    down_payment_required: bool = False
    down_payment_min_pct: Pct = Decimal(10)
    down_payment_min_cents: Cents = 0
    first_due_min_days: Days = 1
    first_due_default_days: Days = 3
    first_due_max_days: Days = 30


class PolicyIn(PolicyFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "creditor": "Lojas Populares Ltda",
                "segment": "acima de 180 dias",
                "days_min": 181,
                "max_discount_cash_pct": "40.00",
                "max_discount_installments_pct": "15.00",
                "min_installment_cents": 5000,
                "max_installments": 10,
                "down_payment_required": True,
                "down_payment_min_pct": "20.00",
                "first_due_min_days": 1,
                "first_due_default_days": 5,
                "first_due_max_days": 15,
            }
        },
    )

    version: Annotated[int, Field(ge=0, description="A versão que você editou; se outra pessoa salvou antes, 409.")] = 0


class PolicyOut(PolicyFields):
    id: int | None
    version: int
    updated_by: str | None = None
    updated_at: datetime | None = None
    summary: str


class PolicyChange(BaseModel):
    at: datetime
    actor: str
    target: str | None
    detail: dict[str, Any] | None
