"""The creditor's negotiation policy through the API: admins edit it (validated, audited), supervisors
read it, and the next offer in a conversation — also one already under way — follows the edit."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.resources import Resources
from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.security.test_operators import user

LOJAS = "Lojas Populares Ltda"


def body(**change: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "creditor": LOJAS,
        "segment": "todos",
        "max_discount_cash_pct": "10.00",
        "min_installment_cents": 5000,
        "max_installments": 3,
    }
    return {**base, **change}


def digits(phone: str) -> str:
    return phone.lstrip("+")


class TestEditing:
    async def test_an_admin_creates_then_edits_and_each_edit_is_audited_with_before_and_after(
        self, stack: Stack
    ) -> None:
        r = await stack.bot.put("/api/policies", json=body())
        assert r.status_code == 200, r.text
        created = r.json()
        assert (created["creditor"], created["segment"], created["version"]) == (LOJAS, "todos", 1)
        assert created["max_discount_cash_pct"] == "10.00"
        assert created["updated_by"] == "service-key"
        assert "parcelado até 3x" in created["summary"]

        # The same creditor typed differently is the same policy: edited, not duplicated.
        r = await stack.bot.put(
            "/api/policies", json=body(creditor=" lojas  populares ltda", max_installments=6, version=1)
        )
        assert r.status_code == 200, r.text
        assert (r.json()["id"], r.json()["version"], r.json()["creditor"]) == (created["id"], 2, LOJAS)

        listed = (await stack.bot.get("/api/policies")).json()
        mine = [(p["creditor"], p["segment"], p["max_installments"]) for p in listed if p["creditor"] != "*"]
        assert mine == [(LOJAS, "todos", 6)]
        one = await stack.bot.get(f"/api/policies/{created['id']}")
        assert one.status_code == 200
        assert one.json()["version"] == 2

        history = (await stack.bot.get("/api/policies/history")).json()
        assert [h["detail"]["version"] for h in history] == [2, 1]
        assert history[0]["detail"]["before"]["max_installments"] == 3
        assert history[0]["detail"]["after"]["max_installments"] == 6
        assert history[1]["detail"]["before"] is None
        audit = (await stack.bot.get("/api/audit", params={"action": "policy_update"})).json()
        assert [(a["actor"], a["target"]) for a in audit] == [("service-key", f"{LOJAS}/todos")] * 2

    async def test_incoherent_edits_get_a_portuguese_422_and_change_nothing(self, stack: Stack) -> None:
        stored = (await stack.bot.get("/api/policies")).json()  # the seeded global default, if any
        cases = [
            (body(max_discount_cash_pct="120"), "O desconto máximo à vista precisa estar entre 0 % e 100 %."),
            (
                body(max_discount_installments_pct="20"),
                "O desconto máximo no parcelado precisa estar entre 0 % e o desconto máximo à vista.",
            ),
            (body(min_installment_cents=0), "A parcela mínima precisa ser maior que zero."),
            (body(max_installments=0), "O número máximo de parcelas precisa estar entre 1 e 72."),
            (body(first_due_min_days=10, first_due_max_days=5), "Janela do 1º vencimento inválida"),
        ]
        for payload, detail in cases:
            r = await stack.bot.put("/api/policies", json=payload)
            assert r.status_code == 422, payload
            assert r.json()["detail"].startswith(detail), r.json()
        r = await stack.bot.put("/api/policies", json=body(max_discount_cash_pct="12.345"))
        assert r.status_code == 422
        assert "duas casas decimais" in r.json()["detail"]
        assert (await stack.bot.get("/api/policies")).json() == stored
        assert (await stack.bot.get("/api/policies/history")).json() == []
        assert (await stack.bot.get("/api/policies/999")).json() == {"detail": "Política não encontrada."}

    async def test_an_edit_over_someone_elses_is_refused(self, stack: Stack) -> None:
        assert (await stack.bot.put("/api/policies", json=body())).status_code == 200
        assert (await stack.bot.put("/api/policies", json=body(max_installments=5, version=1))).status_code == 200
        stale = await stack.bot.put("/api/policies", json=body(max_installments=4, version=1))
        assert stale.status_code == 409
        assert "Outra pessoa alterou esta política" in stale.json()["detail"]
        listed = (await stack.bot.get("/api/policies")).json()
        assert [p["max_installments"] for p in listed if p["creditor"] == LOJAS] == [5]

    async def test_supervisors_read_admins_edit_operators_neither(self, stack: Stack) -> None:
        sup = await user(stack, "bia.supervisora", "supervisor")
        op = await user(stack, "ana.operadora", "operator")
        assert (await stack.bot.get("/api/policies", headers=sup)).status_code == 200
        assert (await stack.bot.get("/api/policies/history", headers=sup)).status_code == 200
        r = await stack.bot.put("/api/policies", json=body(), headers=sup)
        assert r.status_code == 403
        assert "é preciso admin" in r.json()["detail"]
        assert (await stack.bot.get("/api/policies", headers=op)).status_code == 403
        assert (await stack.bot.get("/api/policies/history")).json() == []


class TestTheNextOfferFollows:
    async def test_a_conversation_under_way_gets_the_new_limits_on_its_next_offer(self, stack: Stack) -> None:
        d = await create_debtor(
            stack.crm, original_creditor=LOJAS, debt="1200.00", max_discount="30.00", max_installments=10
        )
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        opened = await stack.say(phone, d["cpf"][:3])
        assert "até 10x" in opened[0]  # the CRM's limit: no policy tightens it yet
        r = await stack.bot.put("/api/policies", json=body(max_installments=3, max_discount_cash_pct="5.00"))
        assert r.status_code == 200, r.text
        plan = await stack.say(phone, "dá pra fazer em 6x?")
        assert "3x de R$ 396,00" in plan[0]  # half of 40 % of the 5 %: R$ 12,00 off, not the CRM's 30 %
        cash = await stack.say(phone, "e à vista?")
        assert "R$ 1.176,00 à vista" in cash[0]  # 40 % of the 5 % maximum, not of the CRM's 30 %

    async def test_another_creditors_debtor_keeps_the_crms_limits(self, stack: Stack) -> None:
        assert (await stack.bot.put("/api/policies", json=body(max_installments=2))).status_code == 200
        d = await create_debtor(stack.crm, original_creditor="Banco Aurora S.A.", debt="1200.00", max_installments=10)
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        opened = await stack.say(phone, d["cpf"][:3])
        assert "até 10x" in opened[0]

    async def test_an_edit_made_elsewhere_reaches_this_process_by_notify(self, stack: Stack, db: AsyncSession) -> None:
        assert (await stack.bot.put("/api/policies", json=body(max_installments=3))).status_code == 200
        resources: Resources = stack.bot_app.state.resources
        assert resources.policies.resolve(LOJAS, 100, 100_000).max_installments == 3
        # Another process (or a person in psql) changes the row: this process hears of it at COMMIT.
        await db.execute(text("UPDATE negotiation_policies SET max_installments = 7, version = version + 1"))
        await db.commit()
        for _ in range(100):
            if resources.policies.resolve(LOJAS, 100, 100_000).max_installments == 7:
                break
            await asyncio.sleep(0.05)
        assert resources.policies.resolve(LOJAS, 100, 100_000).max_installments == 7
