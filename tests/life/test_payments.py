"""Payments as a bank reports them: matched by boleto, nosso número or PIX txid, applied once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from certokit.clock import today_sp
from mock_crm.boletos.models import Boleto
from mock_crm.boletos.pix import parse, verify
from mock_crm.payments.models import PaymentNotification
from tests.factories import create_debtor


def first_due() -> date:
    return today_sp() + timedelta(days=5)


async def agreement(crm: httpx.AsyncClient, total: str = "900.00", n: int = 3, **extra: Any) -> list[dict[str, Any]]:
    d = await create_debtor(crm, debt="1500.00")
    body = {
        "debtor_cpf": d["cpf"],
        "total_amount": total,
        "installments": n,
        "first_due_date": first_due().isoformat(),
        "session_id": f"sess-{d['cpf']}",
        **extra,
    }
    r = await crm.post("/api/boletos/generate", json=body)
    assert r.status_code == 201, r.text
    boletos: list[dict[str, Any]] = r.json()["boletos"]
    return boletos


def txid(boleto: dict[str, Any]) -> str:
    return parse(parse(boleto["pix_copia_e_cola"])["62"])["05"]


def pay(ref: dict[str, str], amount: str, pid: str, channel: str = "boleto") -> dict[str, Any]:
    return {"payment_id": pid, **ref, "amount": amount, "paid_at": datetime.now(UTC).isoformat(), "channel": channel}


async def notifications(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(PaymentNotification)) or 0)


class TestPixCharge:
    async def test_each_boleto_has_its_own_txid_and_a_valid_crc(self, crm: httpx.AsyncClient) -> None:
        boletos = await agreement(crm)
        txids = [txid(b) for b in boletos]
        assert len(set(txids)) == 3
        assert all(t != "***" and t.isalnum() and len(t) <= 25 for t in txids)
        assert all(verify(b["pix_copia_e_cola"]) for b in boletos)


class TestRecordPayment:
    async def test_boleto_payment_marks_installment_paid_and_agreement_stays_active(
        self, crm: httpx.AsyncClient, db: AsyncSession
    ) -> None:
        b = (await agreement(crm))[0]
        r = await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, "300.00", "BANK-1"))
        assert r.status_code == 201, r.text
        got = r.json()
        assert (got["outcome"], got["installment_status"], got["agreement_status"]) == ("paid", "paid", "active")
        assert (got["installment"], got["installments"], got["applied_amount"]) == (1, 3, "300.00")
        assert (await crm.get(f"/api/boletos/{b['boleto_id']}")).json()["status"] == "paid"
        assert await notifications(db) == 1

    async def test_same_payment_id_answers_200_with_the_same_record_and_no_second_notice(
        self, crm: httpx.AsyncClient, db: AsyncSession
    ) -> None:
        b = (await agreement(crm))[0]
        body = pay({"boleto_id": b["boleto_id"]}, "300.00", "BANK-2")
        first = await crm.post("/api/payments", json=body)
        again = await crm.post("/api/payments", json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert await notifications(db) == 1

    async def test_pix_payment_found_by_txid_and_boleto_by_nosso_numero(self, crm: httpx.AsyncClient) -> None:
        boletos = await agreement(crm)
        r1 = await crm.post("/api/payments", json=pay({"txid": txid(boletos[1])}, "300.00", "E2E-PIX-1", "pix"))
        r2 = await crm.post(
            "/api/payments", json=pay({"nosso_numero": boletos[2]["nosso_numero"]}, "300.00", "BANK-NN-1")
        )
        assert (r1.status_code, r2.status_code) == (201, 201)
        assert (r1.json()["boleto_id"], r1.json()["channel"]) == (boletos[1]["boleto_id"], "pix")
        assert r2.json()["boleto_id"] == boletos[2]["boleto_id"]

    async def test_partial_then_rest_then_last_installments_pay_the_agreement(self, crm: httpx.AsyncClient) -> None:
        boletos = await agreement(crm, total="900.00", n=2)
        part = await crm.post("/api/payments", json=pay({"boleto_id": boletos[0]["boleto_id"]}, "100.00", "P-1"))
        assert (part.json()["outcome"], part.json()["installment_status"]) == ("partial", "open")
        rest = await crm.post("/api/payments", json=pay({"boleto_id": boletos[0]["boleto_id"]}, "350.00", "P-2"))
        assert (rest.json()["outcome"], rest.json()["installment_status"]) == ("paid", "paid")
        last = await crm.post("/api/payments", json=pay({"boleto_id": boletos[1]["boleto_id"]}, "450.00", "P-3"))
        assert last.json()["agreement_status"] == "paid"
        cpf = boletos[0]["debtor_cpf"]
        assert (await crm.get(f"/api/debtors/{cpf}")).json()["debt_status"] == "paid"

    async def test_overpayment_applies_the_installment_and_reports_the_excess(self, crm: httpx.AsyncClient) -> None:
        b = (await agreement(crm))[0]
        r = await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, "310.50", "OVER-1"))
        assert r.status_code == 201
        got = r.json()
        assert (got["outcome"], got["applied_amount"], got["excess_amount"]) == ("overpaid", "300.00", "10.50")


class TestBadPayments:
    async def test_unknown_boleto_is_404_in_portuguese(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post("/api/payments", json=pay({"boleto_id": "nao-existe"}, "10.00", "X-1"))
        assert r.status_code == 404
        assert r.json()["detail"].startswith("Nenhum boleto corresponde a este pagamento")

    async def test_txid_that_is_not_ours_is_404(self, crm: httpx.AsyncClient) -> None:
        await agreement(crm)
        r = await crm.post("/api/payments", json=pay({"txid": "CB0000000001"}, "10.00", "X-2", "pix"))
        assert r.status_code == 404

    @pytest.mark.parametrize("amount", ["0", "0.00", "-5.00"])
    async def test_zero_or_negative_amount_is_422(self, crm: httpx.AsyncClient, amount: str) -> None:
        b = (await agreement(crm))[0]
        r = await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, amount, "X-3"))
        assert r.status_code == 422
        assert r.json()["detail"] == "Dados inválidos — amount: valor pequeno demais"

    async def test_two_references_is_422(self, crm: httpx.AsyncClient) -> None:
        b = (await agreement(crm))[0]
        r = await crm.post(
            "/api/payments", json=pay({"boleto_id": b["boleto_id"], "txid": txid(b)}, "300.00", "X-4", "pix")
        )
        assert r.status_code == 422
        assert "informe exatamente um entre boleto_id, nosso_numero e txid" in r.json()["detail"]

    async def test_payment_id_reused_for_another_amount_is_409(self, crm: httpx.AsyncClient) -> None:
        b = (await agreement(crm))[0]
        assert (await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, "300.00", "R-1"))).is_success
        r = await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, "301.00", "R-1"))
        assert r.status_code == 409
        assert r.json()["detail"].startswith("Este payment_id já foi registrado com outros dados")

    async def test_second_payment_of_a_paid_installment_is_an_anomaly_without_notice(
        self, crm: httpx.AsyncClient, db: AsyncSession
    ) -> None:
        b = (await agreement(crm))[0]
        await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, "300.00", "D-1"))
        r = await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, "300.00", "D-2", "pix"))
        assert r.status_code == 201
        got = r.json()
        assert (got["outcome"], got["applied_amount"], got["excess_amount"]) == ("anomaly", "0.00", "300.00")
        assert got["anomaly"].startswith("Parcela já estava paga")
        assert await notifications(db) == 1

    async def test_payment_of_a_cancelled_boleto_is_kept_as_an_anomaly(
        self, crm: httpx.AsyncClient, db: AsyncSession
    ) -> None:
        b = (await agreement(crm))[0]
        await db.execute(update(Boleto).where(Boleto.id == b["boleto_id"]).values(status="cancelled"))
        await db.commit()
        r = await crm.post("/api/payments", json=pay({"boleto_id": b["boleto_id"]}, "300.00", "C-1"))
        assert r.status_code == 201
        assert r.json()["anomaly"].startswith("Pagamento de boleto cancelado")
        assert r.json()["installment_status"] == "cancelled"
        assert await notifications(db) == 0


class TestConcurrency:
    async def test_the_same_notice_twice_at_once_is_one_payment_and_one_notice(
        self, crm: httpx.AsyncClient, db: AsyncSession
    ) -> None:
        b = (await agreement(crm))[0]
        body = pay({"boleto_id": b["boleto_id"]}, "300.00", "SAME-1")
        first, second = await asyncio.gather(crm.post("/api/payments", json=body), crm.post("/api/payments", json=body))
        assert sorted([first.status_code, second.status_code]) == [200, 201]
        assert first.json() == second.json()
        assert await notifications(db) == 1

    async def test_one_bank_id_for_two_boletos_at_once_is_never_two_payments(
        self, crm: httpx.AsyncClient, db: AsyncSession
    ) -> None:
        boletos = await agreement(crm)
        answers = await asyncio.gather(
            crm.post("/api/payments", json=pay({"boleto_id": boletos[0]["boleto_id"]}, "300.00", "SAME-2")),
            crm.post("/api/payments", json=pay({"boleto_id": boletos[1]["boleto_id"]}, "300.00", "SAME-2")),
        )
        assert sorted(r.status_code for r in answers) == [201, 409]
        assert await notifications(db) == 1
