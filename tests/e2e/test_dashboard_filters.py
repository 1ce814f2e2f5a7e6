"""The dashboard by creditor and by segment, the money recovered, and the conversations' CSV export."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

from certobot.campaigns.runner import tick
from certokit.clock import SAO_PAULO, FixedClock
from tests.e2e.conftest import Stack, make_stack
from tests.factories import create_debtor


async def pay(stack: Stack, session_id: str, applied: str) -> None:
    """The CRM's payment webhook, signed as the CRM signs it."""
    event = {
        "event_id": str(uuid.uuid4()),
        "kind": "payment.received",
        "payment_id": f"PG-{uuid.uuid4().hex[:6]}",
        "agreement_id": str(uuid.uuid4()),
        "session_id": session_id,
        "phone": "+5511987003001",
        "debtor_first_name": "Ana",
        "installment": 1,
        "installments": 2,
        "amount": applied,
        "applied_amount": applied,
        "excess_amount": "0.00",
        "outcome": "paid",
        "installment_open_amount": "0.00",
        "agreement_status": "active",
        "agreement_paid_amount": applied,
        "agreement_open_amount": "100.00",
        "paid_at": datetime.now(UTC).isoformat(),
    }
    body = json.dumps(event).encode()
    secret = stack.bot_app.state.resources.settings.crm_webhook_secret.get_secret_value()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    r = await stack.bot.post(
        "/webhooks/crm/payments",
        content=body,
        headers={"Content-Type": "application/json", "X-Certobot-Signature": sig},
    )
    assert r.status_code == 200, r.text


class TestDashboardFilters:
    async def test_by_creditor_and_segment_with_money_recovered_and_an_export(
        self, database_url: str, redis_url: str, engine: object
    ) -> None:
        clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        async with make_stack(database_url, redis_url, run_background_workers=False, clock=clock) as stack:
            aurora, lojas = "Banco Aurora S.A.", "Lojas Populares Ltda"
            ana = await create_debtor(stack.crm, name="Ana Lima", phone="+5511987003001", original_creditor=aurora)
            bia = await create_debtor(stack.crm, name="Bia Reis", phone="+5521987003002", original_creditor=lojas)
            caio = await create_debtor(stack.crm, name="Caio Melo", phone="+5571987003003", original_creditor=lojas)
            opened = {}
            for d in (ana, bia):
                r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
                assert r.status_code == 202, r.text
                opened[d["cpf"]] = r.json()["session_id"]
            seg = {"name": "Lojas BA", "creditor": lojas, "ufs": ["BA"]}
            r = await stack.bot.post("/api/campaigns", json={"name": "Bahia", "segment": seg, "per_minute": 600})
            assert r.status_code == 202, r.text
            assert await tick(stack.bot_app.state.resources) == 1  # Caio's conversation, from the campaign
            await pay(stack, opened[ana["cpf"]], "150.00")

            async def summary(**params: str) -> dict[str, object]:
                r = await stack.bot.get("/api/metrics/summary", params=params)
                assert r.status_code == 200, r.text
                body: dict[str, object] = r.json()
                return body

            everyone = await summary()
            assert (everyone["contacted"], everyone["amount_recovered"]) == (3, "150.00")
            assert everyone["median_reply_seconds"] is None  # nobody wrote back yet
            by_aurora = await summary(creditor="banco aurora s.a.")
            assert (by_aurora["contacted"], by_aurora["amount_recovered"], by_aurora["creditor"]) == (
                1,
                "150.00",
                "banco aurora s.a.",
            )
            by_lojas = await summary(creditor=lojas)
            assert (by_lojas["contacted"], by_lojas["amount_recovered"]) == (2, "0.00")
            by_segment = await summary(segment="Lojas BA")
            assert (by_segment["contacted"], by_segment["segment"]) == (1, "Lojas BA")
            assert (await summary(segment="Ninguém"))["contacted"] == 0

            filters = (await stack.bot.get("/api/metrics/filters")).json()
            assert aurora in filters["creditors"]
            assert lojas in filters["creditors"]
            assert filters["segments"] == ["Lojas BA"]

            csv = (await stack.bot.get("/api/metrics/summary.csv", params={"creditor": aurora})).content
            lines = csv.decode("utf-8-sig").splitlines()
            assert f"Credor;{aurora}" in lines
            assert "Valor recuperado (R$);150,00" in lines

            r = await stack.bot.get("/api/conversations/export", params={"creditor": lojas})
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("text/csv")
            text = r.content.decode("utf-8-sig")
            rows = text.splitlines()
            assert rows[0].startswith("Conversa;Início;Origem;Campanha;Devedor;CPF;Telefone;Situação;Resultado")
            assert len(rows) == 3
            assert any(";campanha;Bahia;" in row for row in rows)
            for d in (bia, caio):
                assert d["cpf"] not in text
                assert d["phone"].lstrip("+") not in text
                assert d["phone"][-8:] not in text
                assert f"***.***.***-{d['cpf'][-2:]}" in text
            assert "(71) *****-**03" in text

            audit = (await stack.bot.get("/api/audit", params={"action": "export_conversations"})).json()
            assert len(audit) == 1
            assert audit[0]["detail"]["rows"] == 2
            assert audit[0]["detail"]["creditor"] == lojas

    async def test_the_export_is_for_supervisors(self, stack: Stack) -> None:
        body = {"username": "rui.operador", "password": "uma senha bem comprida", "role": "operator"}
        assert (await stack.bot.post("/api/users", json=body)).status_code == 201
        login = await stack.bot.post(
            "/api/auth/login", json={"username": body["username"], "password": body["password"]}
        )
        token = login.json()["access_token"]
        r = await stack.bot.get("/api/conversations/export", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403
        today = datetime.now(SAO_PAULO).date()
        backwards = {"from": (today + timedelta(days=9)).isoformat(), "to": today.isoformat()}  # "from" after "to"
        r = await stack.bot.get("/api/conversations/export", params=backwards)
        assert r.status_code == 422
        assert "Período inválido" in r.json()["detail"]
        assert (await stack.bot.get("/api/metrics/summary", params={"segment": "a\x00b"})).status_code == 422
