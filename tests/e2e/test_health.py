"""Liveness, readiness (Postgres, Redis, CRM) and Prometheus metrics of the running bot."""

from __future__ import annotations

from tests.e2e.conftest import Stack
from tests.factories import create_debtor


async def test_health_ready_and_metrics(stack: Stack) -> None:
    assert (await stack.bot.get("/health")).json() == {"status": "ok"}
    d = await create_debtor(stack.crm, phone="+5511987650201")
    await stack.say("5511987650201", "oi")
    ready = await stack.bot.get("/ready")
    assert ready.status_code in (200, 503)
    assert set(ready.json()) == {"postgres", "redis", "crm"}
    assert ready.json()["postgres"] == "ok"
    assert ready.json()["redis"] == "ok"
    metrics = (await stack.bot.get("/metrics")).text
    assert "certobot_messages_in_total" in metrics
    assert "certobot_webhook_seconds_bucket" in metrics
    assert "certobot_reply_seconds_count" in metrics
    assert d["cpf"] not in metrics
