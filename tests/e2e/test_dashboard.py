"""The dashboard's numbers: debtors (not conversations) at each step, money agreed, handoffs, opt-outs."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.e2e.conftest import Stack
from tests.factories import create_debtor

SP = ZoneInfo("America/Sao_Paulo")


class TestSummary:
    async def test_a_day_of_work_in_numbers_and_in_csv(self, stack: Stack) -> None:
        agreed = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650101")
        phone = agreed["phone"].lstrip("+")
        await stack.say(phone, "oi")
        await stack.say(phone, agreed["cpf"][:3])
        await stack.say(phone, "quero pagar à vista")
        await stack.say(phone, "fechou", wait=15)
        assert (await stack.outcome(phone) or {}).get("outcome") == "successful"

        leaving = await create_debtor(stack.crm, phone="+5541987650102")
        await stack.say(leaving["phone"].lstrip("+"), "oi")
        await stack.say(leaving["phone"].lstrip("+"), "PARAR")

        silent = await create_debtor(stack.crm)
        started = await stack.bot.post("/api/conversations", json={"cpf": silent["cpf"]})
        session_id = started.json()["session_id"]
        assert (await stack.bot.post(f"/api/conversations/{session_id}/handoff", json={})).status_code == 200
        await stack.bot.post(f"/api/conversations/{session_id}/handback")

        r = await stack.bot.get("/api/metrics/summary")
        assert r.status_code == 200, r.text
        s = r.json()
        assert (s["contacted"], s["answered"], s["identity_confirmed"], s["agreements"]) == (3, 2, 1, 1)
        assert s["amount_negotiated"] == "880.00"
        assert (s["handoffs"], s["opt_outs"]) == (1, 1)
        assert s["median_first_response_seconds"] is not None
        assert [(step["label"], step["count"], step["rate"]) for step in s["funnel"]] == [
            ("Contatados", 3, None),
            ("Responderam", 2, "0.6667"),
            ("Identidade confirmada", 1, "0.5000"),
            ("Acordos", 1, "1.0000"),
        ]
        csv = await stack.bot.get("/api/metrics/summary.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "Indicador;Valor"
        assert "Valor negociado (R$);880,00" in lines
        assert "Conversão: Responderam;0,6667" in lines

    async def test_an_earlier_period_is_empty_and_a_backwards_one_is_refused(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm)
        await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        today = stack.bot_app.state.resources.clock.now().astimezone(SP).date()
        month_ago = (today - timedelta(days=30)).isoformat()
        r = await stack.bot.get("/api/metrics/summary", params={"from": month_ago, "to": month_ago})
        assert r.json()["contacted"] == 0
        assert r.json()["funnel"][1]["rate"] is None
        r = await stack.bot.get("/api/metrics/summary", params={"from": today.isoformat(), "to": month_ago})
        assert r.status_code == 422
        assert "Período inválido" in r.json()["detail"]
        assert (await stack.bot.get("/api/metrics/summary", params={"from": "ontem"})).status_code == 422
