"""The CRM honours `Idempotency-Key`: a repeat answers the stored response, nothing happens twice."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_crm.debtors.models import ContactLog
from mock_crm.negotiations.models import NegotiationResult
from tests.factories import create_debtor, make_cpf
from tests.test_crm_negotiations import outcome


class TestContactLog:
    async def test_a_repeat_with_the_same_key_is_logged_once_and_answered_the_same(
        self, crm: httpx.AsyncClient, db: AsyncSession
    ) -> None:
        d = await create_debtor(crm)
        path, body = f"/api/debtors/{d['cpf']}/contacts", {"kind": "attempt", "notes": "sem resposta"}
        first = await crm.post(path, json=body, headers={"Idempotency-Key": "contact:abc"})
        again = await crm.post(path, json=body, headers={"Idempotency-Key": "contact:abc"})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await db.scalar(select(func.count()).select_from(ContactLog)) == 1
        other = await crm.post(path, json=body, headers={"Idempotency-Key": "contact:def"})
        assert other.status_code == 201
        assert await db.scalar(select(func.count()).select_from(ContactLog)) == 2

    async def test_concurrent_repeats_log_once(self, crm: httpx.AsyncClient, db: AsyncSession) -> None:
        d = await create_debtor(crm)
        path = f"/api/debtors/{d['cpf']}/contacts"
        answers = await asyncio.gather(
            *(crm.post(path, json={"kind": "attempt"}, headers={"Idempotency-Key": "k-par"}) for _ in range(4))
        )
        assert {a.status_code for a in answers} <= {201, 409}
        assert await db.scalar(select(func.count()).select_from(ContactLog)) == 1

    async def test_the_key_reused_for_another_request_is_refused(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        path = f"/api/debtors/{d['cpf']}/contacts"
        assert (await crm.post(path, json={"kind": "attempt"}, headers={"Idempotency-Key": "k1"})).status_code == 201
        r = await crm.post(path, json={"kind": "opt_out"}, headers={"Idempotency-Key": "k1"})
        assert r.status_code == 422
        assert r.json()["detail"] == "Esta Idempotency-Key já foi usada num pedido diferente."

    async def test_a_refusal_is_not_stored_so_the_fixed_request_goes_through(self, crm: httpx.AsyncClient) -> None:
        cpf = make_cpf()
        path = f"/api/debtors/{cpf}/contacts"
        assert (await crm.post(path, json={"kind": "attempt"}, headers={"Idempotency-Key": "k2"})).status_code == 404
        await create_debtor(crm, cpf=cpf)
        assert (await crm.post(path, json={"kind": "attempt"}, headers={"Idempotency-Key": "k2"})).status_code == 201

    async def test_a_stranger_without_the_api_key_reserves_nothing(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        path = f"/api/debtors/{d['cpf']}/contacts"
        r = await crm.post(
            path, json={"kind": "attempt"}, headers={"Idempotency-Key": "k3", "Authorization": "Bearer errada"}
        )
        assert r.status_code == 401
        assert (await crm.post(path, json={"kind": "attempt"}, headers={"Idempotency-Key": "k3"})).status_code == 201


class TestResults:
    async def test_a_repeat_answers_the_stored_response(self, crm: httpx.AsyncClient, db: AsyncSession) -> None:
        d = await create_debtor(crm)
        body = outcome(d["cpf"])
        first = await crm.post("/api/negotiations/results", json=body, headers={"Idempotency-Key": "outcome:1"})
        again = await crm.post("/api/negotiations/results", json=body, headers={"Idempotency-Key": "outcome:1"})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert await db.scalar(select(func.count()).select_from(NegotiationResult)) == 1
