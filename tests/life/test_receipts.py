"""The CRM tells the bot about a payment; the debtor gets one receipt, and a closing message at the end."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.lifecycle.models import PaymentNotice
from certobot.lifecycle.reminders import tick
from certokit.clock import FixedClock
from mock_crm.payments.notify import sign
from tests.e2e.conftest import Stack
from tests.life.helpers import agreed, conversation, digits, later, non_boleto_texts, payment, until
from tests.life.test_payments import txid

SP = ZoneInfo("America/Sao_Paulo")


def receipts(stack: Stack, phone: str) -> list[str]:
    return [t for t in non_boleto_texts(stack, phone) if t.startswith("Recebemos")]


class TestReceiptEndToEnd:
    async def test_three_installments_two_receipts_then_closing_and_paid(
        self, life: Stack, db: AsyncSession, clock: FixedClock
    ) -> None:
        debtor, session_id, boletos = await agreed(life.crm, first_due=later(5), now=clock.now())
        phone = debtor["phone"]
        await conversation(db, session_id, phone, clock.now() - timedelta(hours=1))
        r1 = await life.crm.post("/api/payments", json=payment(boletos[0]["boleto_id"], "300.00", "BOL-1"))
        r2 = await life.crm.post(
            "/api/payments", json=payment("", "300.00", "PIX-2", "pix", txid=txid(await boleto(life, boletos[1])))
        )
        assert (r1.status_code, r2.status_code) == (201, 201)
        await until(lambda: len(receipts(life, phone)) >= 2)
        # A bank that repeats a notification does not make a third receipt.
        again = await life.crm.post("/api/payments", json=payment(boletos[0]["boleto_id"], "300.00", "BOL-1"))
        assert again.status_code == 200
        assert receipts(life, phone) == [
            "Recebemos R$ 300,00 da parcela 1 de 3, obrigada!",
            "Recebemos R$ 300,00 da parcela 2 de 3, obrigada!",
        ]
        r3 = await life.crm.post("/api/payments", json=payment(boletos[2]["boleto_id"], "300.00", "BOL-3"))
        assert r3.json()["agreement_status"] == "paid"
        await until(lambda: any(t.startswith("Pronto, Maria!") for t in non_boleto_texts(life, phone)))
        texts = non_boleto_texts(life, phone)
        assert texts[-2:] == [
            "Recebemos R$ 300,00 da parcela 3 de 3, obrigada!",
            "Pronto, Maria! Com esse pagamento seu acordo está quitado 🎉 A dívida fica registrada como paga "
            "e você não vai receber mais cobranças dela. Obrigada pela confiança!",
        ]
        [item] = (await life.crm.get("/api/agreements", params={"session_id": session_id})).json()["items"]
        assert (item["status"], item["open_amount"]) == ("paid", "0.00")
        view = (await life.bot.get(f"/api/conversations/{session_id}")).json()
        assert view["agreement"] == {
            "agreement_id": item["agreement_id"],
            "status": "paid",
            "paid_amount": "900.00",
            "open_amount": "0.00",
            "payments": 3,
        }
        assert (await life.crm.get(f"/api/debtors/{debtor['cpf']}")).json()["debt_status"] == "paid"
        # No more reminders: on the next installment's due date the scheduler has nothing for it.
        clock.set(datetime.combine(date.fromisoformat(boletos[1]["due_date"]), time(12), SP))
        assert (await tick(life.bot_app.state.resources)).sent == []

    async def test_outside_the_24h_window_the_receipt_is_the_approved_template(
        self, life: Stack, db: AsyncSession, clock: FixedClock
    ) -> None:
        debtor, session_id, boletos = await agreed(life.crm, first_due=later(5), total="300.00", n=1, now=clock.now())
        await conversation(db, session_id, debtor["phone"], clock.now() - timedelta(hours=30))
        await life.crm.post("/api/payments", json=payment(boletos[0]["boleto_id"], "300.00", "OUT-1"))
        phone = digits(debtor["phone"])

        def templates() -> list[dict[str, object]]:
            return [m["template"] for m in life.graph.messages_to(phone) if m.get("type") == "template"]

        await until(lambda: len(templates()) >= 2)
        receipt, closing = templates()
        assert receipt["name"] == "recibo_pagamento"
        assert receipt["components"] == [
            {"type": "body", "parameters": [{"type": "text", "text": t} for t in ("R$ 300,00", "1", "1")]}
        ]
        assert (closing["name"], closing["components"][0]["parameters"][0]["text"]) == ("acordo_quitado", "Maria")  # type: ignore[index]


async def boleto(stack: Stack, ref: dict[str, object]) -> dict[str, object]:
    r = await stack.crm.get(f"/api/boletos/{ref['boleto_id']}")
    body: dict[str, object] = r.json()
    return body


class TestWebhook:
    async def test_unsigned_or_badly_signed_webhook_is_401(self, life: Stack) -> None:
        raw = json.dumps({"event_id": "x"}).encode()
        r = await life.bot.post("/webhooks/crm/payments", content=raw)
        assert r.status_code == 401
        assert r.json()["detail"].startswith("Assinatura ausente ou inválida")
        r = await life.bot.post("/webhooks/crm/payments", content=raw, headers={"X-Certobot-Signature": sign(raw, "x")})
        assert r.status_code == 401

    async def test_signed_but_malformed_event_is_422(self, life: Stack) -> None:
        raw = json.dumps({"event_id": "x"}).encode()
        headers = {"X-Certobot-Signature": sign(raw, "dev-crm-webhook-secret")}
        r = await life.bot.post("/webhooks/crm/payments", content=raw, headers=headers)
        assert (r.status_code, r.json()["detail"]) == (422, "Evento de pagamento inválido.")

    async def test_redelivered_event_is_stored_once(self, life: Stack, db: AsyncSession, clock: FixedClock) -> None:
        debtor, session_id, boletos = await agreed(life.crm, first_due=later(5), now=clock.now())
        await conversation(db, session_id, debtor["phone"], clock.now())
        await life.crm.post("/api/payments", json=payment(boletos[0]["boleto_id"], "300.00", "RE-1"))
        await until(lambda: len(receipts(life, debtor["phone"])) == 1)
        stored = (await db.scalars(select(PaymentNotice))).one()
        raw = json.dumps(stored.payload, ensure_ascii=False).encode()
        headers = {"X-Certobot-Signature": sign(raw, "dev-crm-webhook-secret")}
        r = await life.bot.post("/webhooks/crm/payments", content=raw, headers=headers)
        assert (r.status_code, r.json()) == (200, {"status": "duplicate"})
        assert await db.scalar(select(func.count()).select_from(PaymentNotice)) == 1
        # The duplicate queued nothing: the next payment's receipt arrives, and it is the second one only.
        await life.crm.post("/api/payments", json=payment(boletos[1]["boleto_id"], "300.00", "RE-2"))
        await until(lambda: len(receipts(life, debtor["phone"])) >= 2)
        assert receipts(life, debtor["phone"]) == [
            "Recebemos R$ 300,00 da parcela 1 de 3, obrigada!",
            "Recebemos R$ 300,00 da parcela 2 de 3, obrigada!",
        ]


class TestSimulatorPay:
    async def test_pagar_pays_the_next_open_installment(
        self, database_url: str, redis_url: str, engine: object, clock: FixedClock, db: AsyncSession
    ) -> None:
        from tests.life.conftest import life_stack

        # The simulator exists only in the sandbox (no WhatsApp token).
        async with life_stack(
            database_url, redis_url, clock, whatsapp_access_token=None, whatsapp_phone_number_id=None
        ) as s:
            debtor, session_id, boletos = await agreed(s.crm, first_due=later(5), total="600.00", n=2, now=clock.now())
            r = await s.bot.post("/simulator/api/pay", json={"phone": debtor["phone"]})
            assert r.json() == {"status": 201, "detail": "Parcela 1 paga: R$ 300,00."}
            [item] = (await s.crm.get("/api/agreements", params={"session_id": session_id})).json()["items"]
            assert [i["status"] for i in item["installments"]] == ["paid", "open"]
            assert [p["boleto_id"] for p in item["payments"]] == [boletos[0]["boleto_id"]]
            none = await s.bot.post("/simulator/api/pay", json={"phone": "+5511900000000"})
            assert (none.status_code, none.json()["detail"]) == (
                404,
                "Este devedor não tem parcela em aberto num acordo ativo.",
            )


def metric(text: str, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    return 0.0


class TestMetrics:
    async def test_recovered_amount_and_kept_promise_are_counted(
        self, life: Stack, db: AsyncSession, clock: FixedClock
    ) -> None:
        before = (await life.bot.get("/metrics")).text
        debtor, session_id, boletos = await agreed(life.crm, first_due=later(5), total="250.00", n=1, now=clock.now())
        await conversation(db, session_id, debtor["phone"], clock.now())
        await life.crm.post("/api/payments", json=payment(boletos[0]["boleto_id"], "250.00", "M-1"))
        await until(lambda: any(t.startswith("Pronto") for t in non_boleto_texts(life, debtor["phone"])))
        after = (await life.bot.get("/metrics")).text
        recovered = "certobot_amount_recovered_cents_total"
        assert metric(after, recovered) - metric(before, recovered) == 25000
        kept = "certobot_promises_kept_total"
        assert metric(after, kept) - metric(before, kept) == 1
