"""The CRM's payment webhook outbox: signed over the raw body, retried on 5xx, given up on a refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.clock import FixedClock
from mock_crm.payments.models import PaymentNotification
from mock_crm.payments.notify import deliver_one
from tests.conftest import crm_settings
from tests.life.helpers import payment
from tests.life.test_payments import agreement


class Bot:
    """The bot's endpoint as the CRM sees it: answers from a script, keeps what it received."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.received: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200, json={"status": "accepted"})


async def notification(db: AsyncSession) -> PaymentNotification:
    db.expire_all()
    return (await db.scalars(select(PaymentNotification))).one()


class TestDelivery:
    async def test_signed_body_retried_after_503_then_sent(
        self,
        crm: httpx.AsyncClient,
        database_url: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        db: AsyncSession,
    ) -> None:
        b = (await agreement(crm))[0]
        await crm.post("/api/payments", json=payment(b["boleto_id"], "300.00", "N-1"))
        bot = Bot(503)
        clock = FixedClock(datetime.now(UTC))
        settings = crm_settings(database_url, certobot_base_url="http://bot.test")
        async with httpx.AsyncClient(transport=httpx.MockTransport(bot.handler)) as http:
            assert await deliver_one(sessionmaker, http, settings, clock)
            row = await notification(db)
            assert (row.status, row.attempts, row.last_error) == ("pending", 1, 'HTTP 503: {"status":"accepted"}')
            # Not due yet: the backoff holds it.
            assert not await deliver_one(sessionmaker, http, settings, clock)
            clock.advance(timedelta(minutes=5))
            assert await deliver_one(sessionmaker, http, settings, clock)
        row = await notification(db)
        assert (row.status, row.attempts) == ("sent", 2)
        sent = bot.received[-1]
        assert str(sent.url) == "http://bot.test/webhooks/crm/payments"
        expected = hmac.new(b"dev-crm-webhook-secret", sent.content, hashlib.sha256).hexdigest()
        assert sent.headers["X-Certobot-Signature"] == f"sha256={expected}"
        body = json.loads(sent.content)
        assert (body["event_id"], body["amount"], body["installment"]) == ("payment:N-1", "300.00", 1)

    async def test_a_refusal_is_not_retried(
        self,
        crm: httpx.AsyncClient,
        database_url: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        db: AsyncSession,
    ) -> None:
        b = (await agreement(crm))[0]
        await crm.post("/api/payments", json=payment(b["boleto_id"], "300.00", "N-2"))
        bot = Bot(401)
        async with httpx.AsyncClient(transport=httpx.MockTransport(bot.handler)) as http:
            assert await deliver_one(sessionmaker, http, crm_settings(database_url))
        row = await notification(db)
        assert (row.status, row.attempts) == ("failed", 1)

    async def test_connection_refused_is_retried(
        self,
        crm: httpx.AsyncClient,
        database_url: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        db: AsyncSession,
    ) -> None:
        b = (await agreement(crm))[0]
        await crm.post("/api/payments", json=payment(b["boleto_id"], "300.00", "N-3"))

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("recusada", request=request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
            assert await deliver_one(sessionmaker, http, crm_settings(database_url))
        row = await notification(db)
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "ConnectError: recusada")


class TestPayCommand:
    def test_reference_kinds(self) -> None:
        from mock_crm.cli import payment_reference

        assert payment_reference("12345678") == {"nosso_numero": "12345678"}
        assert payment_reference("CB1234567801") == {"txid": "CB1234567801"}
        assert payment_reference("5f0c7a1e-0000-4000-8000-000000000000") == {
            "boleto_id": "5f0c7a1e-0000-4000-8000-000000000000"
        }
