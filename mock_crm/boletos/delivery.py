"""Delivering boletos on WhatsApp: the PDF as a document, then the PIX code as text.

Each boleto has a delivery row written with it (the outbox). A loop claims due rows (SKIP LOCKED on
Postgres, so several CRM processes share them), remembers each step it finished (document id, PIX
id) so a retry never sends a part twice, and backs off on 429/5xx/timeouts. How the PDF travels is
the provider's business (Meta: uploaded media; WAHA: inline in /api/sendFile).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.db import utcnow
from certokit.logging import get_logger
from certokit.money import brl
from certokit.phones import wa_form
from certokit.whatsapp.channel import ChannelSender, ProviderError
from mock_crm.boletos import febraban
from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.boletos.service import BoletoService
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.settings import CrmSettings

log = get_logger("mock_crm.delivery")
MAX_ATTEMPTS = 10


def caption(b: Boleto, creditor: str) -> str:
    return (
        f"Boleto do seu acordo com {creditor} — parcela {b.installment} de {b.installments}, "
        f"{brl(b.amount_cents)}, vencimento {b.due_date:%d/%m/%Y}. Confira: o beneficiário é {creditor}."
    )


def pix_text(b: Boleto) -> str:
    return (
        f"Se preferir pagar por PIX (parcela {b.installment} de {b.installments}, {brl(b.amount_cents)}), "
        "copie o código abaixo e cole no app do seu banco em PIX > Copia e cola:\n\n"
        f"{b.pix_copia_e_cola}\n\n"
        f"Linha digitável do boleto: {febraban.format_linha(b.linha_digitavel)}"
    )


async def deliver_one(session: AsyncSession, d: BoletoDelivery, provider: ChannelSender, settings: CrmSettings) -> None:
    boleto = await session.get(Boleto, d.boleto_id)
    if boleto is None:
        d.status = "failed"
        return
    to = wa_form(d.phone)
    service = BoletoService(BoletoRepository(session), DebtorRepository(session), settings, "")
    filename = f"boleto-parcela-{boleto.installment}-de-{boleto.installments}.pdf"
    try:
        if d.document_wamid is None:
            pdf = await service.pdf_of(boleto)
            sent = await provider.send_document(to, pdf, filename, caption(boleto, settings.creditor_name))
            d.document_wamid = sent.wamid
        if d.pix_wamid is None:
            d.pix_wamid = (await provider.send_text(to, pix_text(boleto))).wamid
    except (ProviderError, httpx.HTTPError) as exc:
        d.attempts += 1
        d.last_error = str(exc)[:2000]
        retryable = not isinstance(exc, ProviderError) or exc.retryable
        if retryable and d.attempts < MAX_ATTEMPTS:
            d.next_attempt_at = utcnow() + timedelta(seconds=min(600, 2**d.attempts))
        else:
            d.status = "failed"
        log.warning("boleto_delivery_failed", attempts=d.attempts, error=type(exc).__name__)
        return
    d.status, d.sent_at, d.last_error = "sent", utcnow(), None
    boleto.status = "sent"


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], provider: ChannelSender, settings: CrmSettings, limit: int = 20
) -> int:
    async with sessionmaker() as session, session.begin():
        rows = await BoletoRepository(session).due_deliveries(utcnow(), limit)
        for d in rows:
            await deliver_one(session, d, provider, settings)
        return sum(1 for d in rows if d.status == "sent")


async def run_delivery_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: ChannelSender,
    settings: CrmSettings,
    stop: asyncio.Event,
    every: float = 1.0,
) -> None:
    while not stop.is_set():
        try:
            await deliver_due(sessionmaker, provider, settings)
        except Exception:
            log.exception("delivery_pass_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
