"""The CRM delivering boletos through WAHA: the PDF inline in /api/sendFile, then the PIX code;
a WAHA that is down is retried, and no part reaches the debtor twice."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mock_crm.boletos.delivery import deliver_due
from mock_crm.boletos.models import BoletoDelivery
from mock_crm.main import create_app, whatsapp_provider
from mock_crm.settings import CrmSettings
from tests.boletos.test_routes import agreement
from tests.conftest import CRM_KEY, crm_settings
from tests.factories import create_debtor
from tests.whatsapp.waha.conftest import WAHA_URL
from tests.whatsapp.waha.fake import FakeWaha

PHONE = "5511987650401"


@pytest.fixture
def settings(database_url: str) -> CrmSettings:
    return crm_settings(
        database_url, whatsapp_provider="waha", waha_base_url=WAHA_URL, waha_api_key=SecretStr("waha-test-key")
    )


@pytest.fixture
async def crm(settings: CrmSettings, engine: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, graph_http=httpx.AsyncClient(transport=FakeWaha().transport))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {CRM_KEY}"},
        ) as client,
    ):
        yield client


async def test_boleto_pdf_goes_inline_then_pix_and_a_down_waha_is_retried(
    crm: httpx.AsyncClient, settings: CrmSettings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    waha = FakeWaha()
    provider = whatsapp_provider(settings, httpx.AsyncClient(transport=waha.transport))
    d = await create_debtor(crm, debt="1500.00", phone=f"+{PHONE}")
    await crm.post("/api/boletos/generate", json=agreement(d["cpf"], installments=1, total_amount="100.00"))
    waha.fail_next(1, 503)
    assert await deliver_due(sessionmaker, provider, settings) == 0
    assert waha.files_to(PHONE) == []
    async with sessionmaker() as s, s.begin():
        row = await s.scalar(select(BoletoDelivery))
        assert row is not None
        assert (row.status, row.attempts) == ("pending", 1)
        row.next_attempt_at = row.created_at  # the backoff elapses
    assert await deliver_due(sessionmaker, provider, settings) == 1
    assert await deliver_due(sessionmaker, provider, settings) == 0
    [(file, pdf)] = waha.files_to(PHONE)
    assert (file["mimetype"], file["filename"]) == ("application/pdf", "boleto-a-vista.pdf")
    assert "url" not in file  # no link to the PDF exists anywhere
    assert pdf.startswith(b"%PDF-")
    texts = waha.texts_to(PHONE)
    assert texts[0].startswith("[arquivo] Boleto do seu acordo")
    assert "br.gov.bcb.pix" in texts[1]
    assert len(texts) == 2
