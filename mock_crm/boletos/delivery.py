"""Delivering boletos on WhatsApp: the PDF as a document, then the PIX code as text.

Each boleto has a delivery row written with it (the outbox). One row, one commit: a pass leases due
rows in one short UPDATE (SKIP LOCKED only inside it, so several CRM processes share them), talks to
the channel with no transaction or row lock open, and records each finished step (document id, PIX
id) in its own short statement right after the channel answers. A process killed between a send
and its record repeats that one part of that one boleto when the lease runs out, never a batch.
How the PDF travels is the channel's business (Meta: uploaded media; WAHA: inline in /api/sendFile).
429, transient codes and connections never made are retried with backoff here; a send whose answer
was lost is not sent again but left failed for a person, since a second POST could put two copies
of a boleto in the debtor's chat.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit import leases, wakeup
from certokit.db import utcnow
from certokit.logging import get_logger
from certokit.money import brl
from certokit.phones import wa_form
from certokit.whatsapp.channel import ChannelSender, ProviderError
from certokit.whatsapp.graph import request_not_sent
from mock_crm.boletos import febraban
from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.boletos.service import BoletoService
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.settings import CrmSettings

log = get_logger("mock_crm.delivery")
MAX_ATTEMPTS = 10
# Longer than one delivery's I/O may take (three Graph calls with their retry budgets).
LEASE = timedelta(seconds=120)


def _which(b: Boleto) -> str:
    # One installment is a payment in full, as the PDF says: not "parcela 1 de 1".
    return "pagamento à vista" if b.installments == 1 else f"parcela {b.installment} de {b.installments}"


def caption(b: Boleto, creditor: str, schedule: str = "") -> str:
    """The document's caption: which boleto, how to pay it, and (with the first) the whole schedule.

    The PIX code itself goes alone in the next message, so one long press copies it.
    """
    text = (
        f"Boleto do seu acordo com {creditor} — {_which(b)}, "
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


async def deliver_one(session: AsyncSession, d: BoletoDelivery, provider: ChannelSender, settings: CrmSettings) -> None:
    """Carry one leased delivery forward, recording each step on its own as soon as the channel answers.

    `session` is the pass's held one (certokit.leases): on Postgres in autocommit, so every read and
    every step is one statement that commits itself, with no BEGIN/COMMIT round trips; the last step,
    two rows, is one statement too (`finish_delivery`). Its connection is the one the lease names, so
    a pass whose connection was lost stops at its next statement instead of going on with rows that
    another process may have claimed meanwhile."""
    repo = BoletoRepository(session)
    boleto = await repo.with_pdf(d.boleto_id)
    if boleto is None:
        await repo.record_delivery(d, release=True, status="failed")
        await session.commit()
        return
    if boleto.status == "cancelled":  # the agreement was cancelled or replaced before this went out
        await repo.record_delivery(d, release=True, status="cancelled")
        await session.commit()
        return
    document = b""
    if d.document_wamid is None:
        # Stored at issue; a boleto issued before PDFs were stored is rendered (and stored) now.
        service = BoletoService(repo, DebtorRepository(session), settings, "")
        document = boleto.pdf if boleto.pdf is not None else await service.pdf_of(boleto)
    schedule = ""
    if boleto.installment == 1 and boleto.installments > 1:
        schedule = schedule_text(list(await repo.by_agreement(boleto.agreement_key)))
    await session.commit()  # nothing stays open while the channel answers
    to = wa_form(d.phone)
    filename = (
        "boleto-a-vista.pdf"
        if boleto.installments == 1
        else f"boleto-parcela-{boleto.installment}-de-{boleto.installments}.pdf"
    )
    try:
        if d.document_wamid is None:
            sent = await provider.send_document(
                to, document, filename, caption(boleto, settings.creditor_name, schedule)
            )
            async with session.begin():
                await repo.record_delivery(d, document_wamid=sent.wamid)
        if d.pix_wamid is None:
            pix_wamid = (await provider.send_text(to, pix_text(boleto))).wamid
            async with session.begin():
                await repo.finish_delivery(
                    d, boleto.id, pix_wamid=pix_wamid, status="sent", sent_at=utcnow(), last_error=None
                )
    except (ProviderError, httpx.HTTPError) as exc:
        attempts = d.attempts + 1
        retryable = exc.retryable if isinstance(exc, ProviderError) else request_not_sent(exc)
        step: dict[str, object] = {"attempts": attempts, "last_error": str(exc)[:2000]}
        if retryable and attempts < MAX_ATTEMPTS:
            step["next_attempt_at"] = utcnow() + timedelta(seconds=min(600, 2**attempts))
        else:
            step["status"] = "failed"  # for a person: final, or its answer was lost after sending
        async with session.begin():
            await repo.record_delivery(d, release=True, **step)
        log.warning("boleto_delivery_failed", attempts=attempts, error=type(exc).__name__)


PASS_LIMIT = 20  # deliveries leased per pass; delivered one at a time, unlike the bot's CRM outbox
# (certokit.lanes): a process killed mid-pass re-sends whatever was in flight, and a debtor must
# never find more than one boleto repeated in the chat (WhatsApp has no idempotency key to dedup by).


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: ChannelSender,
    settings: CrmSettings,
    limit: int = PASS_LIMIT,
) -> int:
    """Lease the due deliveries, then deliver each with no transaction open; returns how many finished."""
    # The lease names the backend of the connection held for the pass (certokit.leases): a process
    # killed mid-pass leaves its deliveries free at once, not two minutes later. The claim is one
    # UPDATE ... RETURNING: in autocommit on Postgres, it commits itself (no BEGIN/COMMIT).
    async with leases.held_session(sessionmaker) as session:
        async with session.begin():
            holder = await leases.backend_pid(session)
            rows = await BoletoRepository(session).claim_deliveries(utcnow(), limit, LEASE, holder)
        for d in rows:
            try:
                await deliver_one(session, d, provider, settings)
            finally:
                session.expunge_all()  # one session for the whole pass: it keeps no boleto (nor its PDF)
    return sum(1 for d in rows if d.status == "sent")


async def run_delivery_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: ChannelSender,
    settings: CrmSettings,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    every: float = 15.0,
) -> None:
    """Deliver whenever `wake` is set (a NOTIFY from the delivery trigger), at the latest every `every` s."""
    wake = wake or asyncio.Event()
    while not stop.is_set():
        try:
            sent = await deliver_due(sessionmaker, provider, settings, PASS_LIMIT)
        except Exception:
            log.exception("delivery_pass_failed")
            sent = 0
        if sent >= PASS_LIMIT:
            continue  # a full pass, all sent: more are probably due, their NOTIFYs spent on this one
        await wakeup.wait(wake, stop, every)
