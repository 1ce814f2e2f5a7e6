"""Delivering boletos on WhatsApp: upload the PDF, send it as a document, then the PIX code as text.

Each boleto has a delivery row written with it (the outbox). A loop claims due rows (SKIP LOCKED on
Postgres, so several CRM processes share them), remembers each step it finished (media id, document
wamid, PIX wamid) so a retry never sends a part twice, and backs off on 429/5xx/timeouts.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.config import CrmSettings
from certobot.db import utcnow
from certobot.logging import get_logger
from certobot.money import brl
from certobot.phones import wa_form
from certobot.whatsapp.graph import GraphClient, GraphError
from mock_crm.boletos import febraban
from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.boletos.service import BoletoService
from mock_crm.debtors.repository import DebtorRepository

log = get_logger("mock_crm.delivery")
MAX_ATTEMPTS = 10


def caption(b: Boleto, creditor: str, schedule: str = "") -> str:
    """The document's caption: which boleto, how to pay it, and (with the first) the whole schedule.

    The PIX code itself goes alone in the next message, so one long press copies it.
    """
    text = (
        f"Boleto do seu acordo com {creditor} — parcela {b.installment} de {b.installments}, "
        f"{brl(b.amount_cents)}, vencimento {b.due_date:%d/%m/%Y}. Confira: o beneficiário é {creditor}.\n"
        f"Linha digitável: {febraban.format_linha(b.linha_digitavel)}\n"
        "Pra pagar por PIX, copie o código da próxima mensagem e cole no app do banco em PIX > Copia e cola."
    )
    if schedule:
        text += "\n" + schedule
    return text[:1024]  # WhatsApp's caption limit


def schedule_text(boletos: list[Boleto]) -> str:
    """One summary of the schedule: '2ª a 18ª: 17x de R$ 100,00, todo dia 5, de 05/01/2027 a 05/05/2028'."""
    rest = [b for b in boletos if b.installment > 1]
    if not rest:
        return ""
    amounts = {b.amount_cents for b in rest}
    each = brl(rest[0].amount_cents) if len(amounts) == 1 else f"cerca de {brl(max(amounts))}"
    return (
        f"Próximas parcelas: {len(rest)}x de {each}, de {rest[0].due_date:%d/%m/%Y} a {rest[-1].due_date:%d/%m/%Y}. "
        "Cada boleto chega aqui alguns dias antes do vencimento; se quiser antes, é só pedir a 2ª via."
    )


def pix_text(b: Boleto) -> str:
    return b.pix_copia_e_cola


async def deliver_one(session: AsyncSession, d: BoletoDelivery, graph: GraphClient, settings: CrmSettings) -> None:
    boleto = await session.get(Boleto, d.boleto_id)
    if boleto is None:
        d.status = "failed"
        return
    if boleto.status == "cancelled":
        d.status = "cancelled"  # the agreement was cancelled or replaced before this went out
        return
    to = wa_form(d.phone)
    service = BoletoService(BoletoRepository(session), DebtorRepository(session), settings, "")
    filename = f"boleto-parcela-{boleto.installment}-de-{boleto.installments}.pdf"
    try:
        if d.media_id is None:
            d.media_id = await graph.upload_media(await service.pdf_of(boleto), filename, "application/pdf")
        if d.document_wamid is None:
            schedule = ""
            if boleto.installment == 1 and boleto.installments > 1:
                schedule = schedule_text(list(await service.repo.by_agreement(boleto.agreement_key)))
            sent = await graph.send_document(
                to, d.media_id, filename, caption(boleto, settings.creditor_name, schedule)
            )
            d.document_wamid = sent.wamid
        if d.pix_wamid is None:
            d.pix_wamid = (await graph.send_text(to, pix_text(boleto))).wamid
    except (GraphError, httpx.HTTPError) as exc:
        d.attempts += 1
        d.last_error = str(exc)[:2000]
        retryable = not isinstance(exc, GraphError) or exc.retryable
        if retryable and d.attempts < MAX_ATTEMPTS:
            d.next_attempt_at = utcnow() + timedelta(seconds=min(600, 2**d.attempts))
        else:
            d.status = "failed"
        log.warning("boleto_delivery_failed", attempts=d.attempts, error=type(exc).__name__)
        return
    d.status, d.sent_at, d.last_error = "sent", utcnow(), None
    boleto.status = "sent"


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], graph: GraphClient, settings: CrmSettings, limit: int = 20
) -> int:
    async with sessionmaker() as session, session.begin():
        rows = await BoletoRepository(session).due_deliveries(utcnow(), limit)
        for d in rows:
            await deliver_one(session, d, graph, settings)
        return sum(1 for d in rows if d.status == "sent")


async def run_delivery_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    graph: GraphClient,
    settings: CrmSettings,
    stop: asyncio.Event,
    every: float = 1.0,
) -> None:
    while not stop.is_set():
        try:
            await deliver_due(sessionmaker, graph, settings)
        except Exception:
            log.exception("delivery_pass_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
