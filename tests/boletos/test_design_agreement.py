"""The design's PaymentAgreement, posted as the design writes it, issues boletos; inconsistent ones are
refused with a Portuguese 422 that names the field."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from certokit.clock import SAO_PAULO, add_months, today_sp
from mock_crm.boletos.febraban import barcode_from_linha
from mock_crm.boletos.pix import verify
from mock_crm.boletos.schemas import DESIGN_EXAMPLE, SNAKE_EXAMPLE
from tests.factories import create_debtor


def design(cpf: str, **change: Any) -> dict[str, Any]:
    """The design's own example, for this debtor, due in five days."""
    return {**DESIGN_EXAMPLE, "debtorCPF": cpf, "dueDate": (today_sp() + timedelta(days=5)).isoformat(), **change}


async def test_design_example_issues_one_boleto_per_installment(crm: httpx.AsyncClient) -> None:
    d = await create_debtor(crm, debt="1250.00")
    body = design(d["cpf"])
    assert isinstance(body["agreedAmount"], float)  # amounts as JSON numbers, read exactly
    r = await crm.post("/api/boletos/generate", json=body)
    assert r.status_code == 201, r.text
    batch = r.json()
    assert [b["amount"] for b in batch["boletos"]] == ["300.00", "300.00", "300.00"]
    assert (batch["agreed_amount"], batch["original_amount"], batch["discount_applied"]) == (
        "900.00",
        "1250.00",
        "350.00",
    )
    first = today_sp() + timedelta(days=5)
    assert batch["scheduled_payment_dates"] == [add_months(first, i).isoformat() for i in range(3)]
    for b in batch["boletos"]:
        assert len(b["barcode"]) == 44
        assert len(b["linha_digitavel"]) == 47
        assert barcode_from_linha(b["linha_digitavel_formatada"]) == b["barcode"]
        assert verify(b["pix_copia_e_cola"])


async def test_snake_case_with_strings_and_a_due_datetime(crm: httpx.AsyncClient) -> None:
    d = await create_debtor(crm, debt="1250.00")
    due = datetime.combine(today_sp() + timedelta(days=3), time(23, 30), tzinfo=SAO_PAULO)
    body = {**SNAKE_EXAMPLE, "debtor_cpf": d["cpf"], "due_date": due.isoformat()}
    r = await crm.post("/api/boletos/generate", json=body)
    assert r.status_code == 201, r.text
    (boleto,) = r.json()["boletos"]
    assert boleto["amount"] == "1000.00"
    assert boleto["due_date"] == due.date().isoformat()  # the day in São Paulo, not in UTC


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"agreedAmount": "1300.00", "discountApplied": None}, "agreedAmount (1300.00) é maior que originalAmount"),
        ({"discountApplied": 300}, "discountApplied (300.00) não é originalAmount − agreedAmount (350.00)"),
        ({"installments": 0}, "installments"),
        ({"dueDate": "yesterday"}, "primeiro vencimento já passou"),
        ({"paymentMethod": "cheque"}, "paymentMethod"),
        ({"agreementTimestamp": "2026-11-30"}, "agreementTimestamp"),
        ({"dueDate": "0001-01-01T00:00:00+14:00"}, "dueDate: data fora do intervalo"),
    ],
)
async def test_inconsistent_agreement_is_refused_naming_the_field(
    crm: httpx.AsyncClient, change: dict[str, Any], named: str
) -> None:
    d = await create_debtor(crm, debt="1250.00")
    if change.get("dueDate") == "yesterday":
        change = {"dueDate": (today_sp() - timedelta(days=1)).isoformat()}
    body = {k: v for k, v in design(d["cpf"], **change).items() if v is not None}
    r = await crm.post("/api/boletos/generate", json=body)
    assert r.status_code == 422
    assert named in r.json()["detail"]
    assert "inválid" in r.json()["detail"].lower()


def test_docs_show_the_design_shape_with_examples() -> None:
    from mock_crm.main import create_app

    schema = create_app().openapi()
    body = schema["paths"]["/api/boletos/generate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    agreement = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert set(DESIGN_EXAMPLE) <= set(agreement["properties"])
    assert agreement["examples"][0] == DESIGN_EXAMPLE
    assert Decimal(str(DESIGN_EXAMPLE["originalAmount"])) - Decimal(str(DESIGN_EXAMPLE["agreedAmount"])) == Decimal(
        str(DESIGN_EXAMPLE["discountApplied"])
    )
