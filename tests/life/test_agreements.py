"""GET /api/agreements: what an operator sees of each agreement, its installments and payments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from certokit.clock import FixedClock
from mock_crm.main import create_app
from tests.conftest import CRM_KEY, crm_settings
from tests.life.test_payments import agreement, first_due, pay


@pytest.fixture
async def clocked(database_url: str, engine: AsyncEngine) -> AsyncIterator[tuple[FixedClock, httpx.AsyncClient]]:
    app = create_app(crm_settings(database_url))
    clock = FixedClock(datetime.now(UTC))
    async with app.router.lifespan_context(app):
        app.state.clock = clock
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {CRM_KEY}"},
        ) as client:
            yield clock, client


class TestListAgreements:
    async def test_item_carries_installments_payments_and_amounts(self, crm: httpx.AsyncClient) -> None:
        boletos = await agreement(crm)
        await crm.post("/api/payments", json=pay({"boleto_id": boletos[0]["boleto_id"]}, "300.00", "A-1"))
        r = await crm.get("/api/agreements", params={"session_id": f"sess-{boletos[0]['debtor_cpf']}"})
        assert r.status_code == 200
        [item] = r.json()["items"]
        assert (item["status"], item["total_amount"], item["paid_amount"], item["open_amount"]) == (
            "active",
            "900.00",
            "300.00",
            "600.00",
        )
        assert [i["status"] for i in item["installments"]] == ["paid", "open", "open"]
        assert [i["boleto_id"] for i in item["installments"]] == [b["boleto_id"] for b in boletos]
        assert [p["payment_id"] for p in item["payments"]] == ["A-1"]
        assert "debtor_cpf" not in item

    async def test_filters_by_status_cpf_and_due_dates(self, crm: httpx.AsyncClient) -> None:
        paid = await agreement(crm, total="300.00", n=1)
        await crm.post("/api/payments", json=pay({"boleto_id": paid[0]["boleto_id"]}, "300.00", "F-1"))
        other = await agreement(crm, total="300.00", n=1, first_due_date=(first_due() + timedelta(days=40)).isoformat())

        async def ids(**params: str) -> list[str]:
            r = await crm.get("/api/agreements", params=params)
            assert r.status_code == 200, r.text
            return [i["installments"][0]["boleto_id"] for i in r.json()["items"]]

        assert await ids(status="paid") == [paid[0]["boleto_id"]]
        assert await ids(status="active") == [other[0]["boleto_id"]]
        by_cpf = await crm.post("/api/agreements/search", json={"debtor_cpf": other[0]["debtor_cpf"]})
        assert [i["installments"][0]["boleto_id"] for i in by_cpf.json()["items"]] == [other[0]["boleto_id"]]
        in_url = await crm.get("/api/agreements", params={"debtor_cpf": other[0]["debtor_cpf"]})
        assert in_url.status_code == 422  # refused, not ignored: ignoring it would list everyone's agreements
        assert "POST /api/agreements/search" in in_url.json()["detail"]
        assert await ids(due_from=(first_due() + timedelta(days=30)).isoformat()) == [other[0]["boleto_id"]]
        assert await ids(due_to=first_due().isoformat()) == [paid[0]["boleto_id"]]

    async def test_bad_cpf_filter_is_422(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post("/api/agreements/search", json={"debtor_cpf": "11111111111"})
        assert r.status_code == 422
        assert "CPF" in r.json()["detail"]

    async def test_unpaid_installment_is_overdue_after_its_due_date(
        self, clocked: tuple[FixedClock, httpx.AsyncClient]
    ) -> None:
        clock, crm = clocked
        boletos = await agreement(crm, total="300.00", n=1)
        clock.advance(timedelta(days=6))
        [item] = (await crm.get("/api/agreements", params={"status": "active"})).json()["items"]
        assert item["installments"][0]["status"] == "overdue"
        assert item["installments"][0]["boleto_id"] == boletos[0]["boleto_id"]


class TestBreak:
    async def test_break_moves_active_to_broken_once(self, crm: httpx.AsyncClient) -> None:
        await agreement(crm)
        key = (await crm.get("/api/agreements")).json()["items"][0]["agreement_id"]
        r = await crm.post(f"/api/agreements/{key}/break")
        assert (r.status_code, r.json()["status"]) == (200, "broken")
        assert (await crm.post(f"/api/agreements/{key}/break")).status_code == 200
        listed = (await crm.get("/api/agreements", params={"status": "broken"})).json()["items"]
        assert [i["agreement_id"] for i in listed] == [key]

    async def test_a_paid_agreement_cannot_be_broken(self, crm: httpx.AsyncClient) -> None:
        boletos = await agreement(crm, total="300.00", n=1)
        await crm.post("/api/payments", json=pay({"boleto_id": boletos[0]["boleto_id"]}, "300.00", "B-1"))
        key = (await crm.get("/api/agreements")).json()["items"][0]["agreement_id"]
        r = await crm.post(f"/api/agreements/{key}/break")
        assert r.status_code == 409
        assert r.json()["detail"] == "O acordo está quitado; só um acordo ativo pode ser rompido."

    async def test_unknown_agreement_is_404(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get("/api/agreements/nao-existe")
        assert (r.status_code, r.json()["detail"]) == (404, "Acordo não encontrado.")


class TestAgreementsQueryBounds:
    async def test_a_huge_offset_or_debtor_id_is_a_portuguese_422_not_a_500(self, crm: httpx.AsyncClient) -> None:
        for params in ({"offset": str(10**20)}, {"debtor_id": str(2**70)}, {"debtor_id": "0"}):
            r = await crm.get("/api/agreements", params=params)
            assert r.status_code == 422, (params, r.text)
            detail = r.json()["detail"]
            assert isinstance(detail, str), detail  # one sentence, in Portuguese
            assert detail
