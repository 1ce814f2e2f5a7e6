from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_crm.negotiations.models import NegotiationResult
from tests.factories import create_debtor, make_cpf


def outcome(cpf: str, **extra: Any) -> dict[str, Any]:
    return {
        "session_id": str(uuid.uuid4()),
        "debtor_cpf": cpf,
        "outcome": "unsuccessful",
        "qualitative_notes": "Disse que não pode pagar agora.",
        "interaction_timestamp": "2026-11-22T14:03:00Z",
        "duration": 240,
        "language": "pt-BR",
        **extra,
    }


class TestPostResult:
    async def test_stored_whole_and_readable(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        body = outcome(d["cpf"], outcome="no_contact", qualitative_notes="Falhou a validação 3 vezes.")
        r = await crm.post("/api/negotiations/results", json=body)
        assert r.status_code == 201
        got = (await crm.get(f"/api/negotiations/results/{body['session_id']}")).json()
        assert got["outcome"] == "no_contact"
        assert got["qualitative_notes"] == "Falhou a validação 3 vezes."
        assert got["duration"] == 240
        assert got["debtor_cpf"] == d["cpf"]

    async def test_same_session_id_returns_stored_record(self, crm: httpx.AsyncClient, db: AsyncSession) -> None:
        d = await create_debtor(crm)
        body = outcome(d["cpf"])
        first = await crm.post("/api/negotiations/results", json=body)
        second = await crm.post(
            "/api/negotiations/results", json={**body, "outcome": "no_contact", "qualitative_notes": "outra"}
        )
        assert first.status_code == 201
        assert second.status_code == 200
        assert second.json()["outcome"] == "unsuccessful"
        assert second.json()["qualitative_notes"] == "Disse que não pode pagar agora."
        count = await db.scalar(select(func.count()).select_from(NegotiationResult))
        assert count == 1

    async def test_concurrent_duplicates_store_one(self, crm: httpx.AsyncClient, db: AsyncSession) -> None:
        d = await create_debtor(crm)
        body = outcome(d["cpf"])
        answers = await asyncio.gather(*(crm.post("/api/negotiations/results", json=body) for _ in range(5)))
        assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
        assert await db.scalar(select(func.count()).select_from(NegotiationResult)) == 1

    async def test_unknown_debtor_is_404(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post("/api/negotiations/results", json=outcome(make_cpf()))
        assert r.status_code == 404
        assert r.json()["detail"] == "Devedor não encontrado para este CPF."

    async def test_invalid_outcome_kind_is_422(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.post("/api/negotiations/results", json=outcome(d["cpf"], outcome="maybe"))
        assert r.status_code == 422
        assert "outcome: valor não permitido" in r.json()["detail"]

    async def test_agreement_without_terms_is_422(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.post(
            "/api/negotiations/results", json=outcome(d["cpf"], outcome="successful", agreed_amount="100.00")
        )
        assert r.status_code == 422
        assert "installments e payment_date" in r.json()["detail"]

    async def test_float_like_money_with_three_decimals_is_422(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.post("/api/negotiations/results", json=outcome(d["cpf"], discount_amount="0.001"))
        assert r.status_code == 422


class TestGetResult:
    async def test_unknown_session_is_404(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get("/api/negotiations/results/nao-existe")
        assert r.status_code == 404
        assert r.json()["detail"] == "Nenhum resultado de negociação para esta sessão."
