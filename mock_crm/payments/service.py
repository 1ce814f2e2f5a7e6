"""Recording a payment: matched to its boleto, applied to the installment, the agreement moved on,
and the bot told through the notification outbox — all in one transaction, once per `payment_id`."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from certokit.db import dialect_of, utcnow
from certokit.errors import Conflict, NotFound
from certokit.money import from_cents, to_cents
from mock_crm.agreements.models import Agreement
from mock_crm.agreements.schemas import PaymentOut
from mock_crm.agreements.service import paid_by_boleto, payment_out
from mock_crm.boletos import pix
from mock_crm.boletos.models import Boleto
from mock_crm.debtors.models import Debtor
from mock_crm.debtors.service import primary_debt
from mock_crm.payments.models import Payment, PaymentNotification
from mock_crm.payments.schemas import NotificationBody, PaymentNotice


class PaymentBoletoNotFound(NotFound):
    detail = "Nenhum boleto corresponde a este pagamento (confira boleto_id, nosso_numero ou txid)."


class PaymentIdReused(Conflict):
    detail = "Este payment_id já foi registrado com outros dados (boleto, valor ou canal diferentes)."


def txid_of(boleto: Boleto) -> str | None:
    """The txid (field 62, sub-field 05) of the boleto's PIX charge."""
    additional = pix.parse(boleto.pix_copia_e_cola).get("62")
    return pix.parse(additional).get("05") if additional else None


class PaymentService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, notice: PaymentNotice, today: date) -> tuple[PaymentOut, bool]:
        """The payment's record; the same `payment_id` again returns it (created=False)."""
        boleto = await self._boleto(notice)
        # The boleto's row lock orders two notices for one installment: the second sees the first.
        existing = await self._existing(notice, boleto, today)
        if existing is not None:
            return existing, False
        agreement = await self.session.get(Agreement, boleto.agreement_key)
        assert agreement is not None  # every boleto is born with its agreement (migration backfills)
        paid = paid_by_boleto(
            (await self.session.scalars(select(Payment).where(Payment.agreement_key == agreement.key))).all()
        )
        amount = to_cents(notice.amount)
        remaining = boleto.amount_cents - paid.get(boleto.id, 0)
        anomaly: str | None = None
        if boleto.status == "cancelled" or agreement.status == "cancelled":
            anomaly = "boleto_cancelado"
        elif remaining <= 0 or boleto.status == "paid":
            anomaly = "parcela_ja_paga"
        if anomaly is not None:
            applied, excess, outcome = 0, amount, "anomaly"
        else:
            applied = min(amount, remaining)
            excess = amount - applied
            outcome = "overpaid" if excess else ("paid" if applied == remaining else "partial")
        row = Payment(
            payment_id=notice.payment_id,
            boleto_id=boleto.id,
            agreement_key=agreement.key,
            channel=notice.channel,
            amount_cents=amount,
            applied_cents=applied,
            excess_cents=excess,
            outcome=outcome,
            anomaly=anomaly,
            paid_at=notice.paid_at,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            # The same payment_id, for another boleto, committed by a concurrent notice: answer as a repeat.
            existing = await self._existing(notice, boleto, today)
            if existing is None:
                raise
            return existing, False
        paid[boleto.id] = paid.get(boleto.id, 0) + applied
        if anomaly is None:
            await self._advance(agreement, boleto, paid, row, today)
        await self.session.flush()
        return payment_out(row, boleto, agreement, paid.get(boleto.id, 0), today), True

    async def _advance(
        self, agreement: Agreement, boleto: Boleto, paid: dict[str, int], row: Payment, today: date
    ) -> None:
        if paid[boleto.id] >= boleto.amount_cents:
            boleto.status = "paid"
        boletos = (
            await self.session.scalars(
                select(Boleto).where(Boleto.agreement_key == agreement.key).order_by(Boleto.installment)
            )
        ).all()
        live = [b for b in boletos if b.status != "cancelled"]
        debtor = await self.session.get(Debtor, agreement.debtor_id)
        assert debtor is not None
        # A broken agreement paid in full after all is still paid: the money settles the debt.
        if live and all(paid.get(b.id, 0) >= b.amount_cents for b in live):
            agreement.status = "paid"
            agreement.closed_at = utcnow()
            primary_debt(debtor).status = "paid"  # a paid debt is never collected again
        open_total = sum(max(0, b.amount_cents - paid.get(b.id, 0)) for b in live)
        body = NotificationBody(
            event_id=f"payment:{row.payment_id}",
            payment_id=row.payment_id,
            agreement_id=agreement.key,
            session_id=agreement.session_id,
            phone=debtor.phone,
            debtor_first_name=debtor.name.split()[0] if debtor.name.split() else "",
            installment=boleto.installment,
            installments=boleto.installments,
            amount=from_cents(row.amount_cents),
            applied_amount=from_cents(row.applied_cents),
            excess_amount=from_cents(row.excess_cents),
            outcome=row.outcome,
            installment_open_amount=from_cents(max(0, boleto.amount_cents - paid[boleto.id])),
            agreement_status=agreement.status,
            agreement_paid_amount=from_cents(sum(paid.values())),
            agreement_open_amount=from_cents(open_total),
            paid_at=row.paid_at,
        )
        # The webhook to the bot is an outbox row of this transaction: no payment without its notice.
        self.session.add(PaymentNotification(event_id=body.event_id, payload=body.model_dump(mode="json")))

    async def _boleto(self, notice: PaymentNotice) -> Boleto:
        stmt = select(Boleto)
        if notice.boleto_id is not None:
            stmt = stmt.where(Boleto.id == notice.boleto_id)
        elif notice.nosso_numero is not None:
            stmt = stmt.where(Boleto.nosso_numero == notice.nosso_numero)
        else:
            # Our txids are `CB` + nosso número + installment: the nosso número finds the boleto, and
            # its PIX charge must carry exactly this txid.
            m = re.fullmatch(r"CB(\d{8})\d{2}", notice.txid or "")
            if m is None:
                raise PaymentBoletoNotFound()
            stmt = stmt.where(Boleto.nosso_numero == m.group(1))
        if dialect_of(self.session) == "postgresql":
            stmt = stmt.with_for_update()
        boleto = (await self.session.scalars(stmt)).first()
        if boleto is None or (notice.txid is not None and txid_of(boleto) != notice.txid):
            raise PaymentBoletoNotFound()
        return boleto

    async def _existing(self, notice: PaymentNotice, boleto: Boleto, today: date) -> PaymentOut | None:
        row = await self.session.scalar(select(Payment).where(Payment.payment_id == notice.payment_id))
        if row is None:
            return None
        same = (
            row.boleto_id == boleto.id and row.amount_cents == to_cents(notice.amount) and row.channel == notice.channel
        )
        if not same:
            raise PaymentIdReused()
        agreement = await self.session.get(Agreement, row.agreement_key)
        assert agreement is not None
        payments = (await self.session.scalars(select(Payment).where(Payment.boleto_id == boleto.id))).all()
        return payment_out(row, boleto, agreement, paid_by_boleto(payments).get(boleto.id, 0), today)
