"""Issuing boletos for an agreement: checked, numbered, idempotent, and queued for WhatsApp delivery."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from certokit.clock import add_months
from certokit.db import utcnow
from certokit.errors import Invalid, NotFound
from certokit.money import from_cents, split_installments, to_cents
from mock_crm.agreements.service import open_for as open_agreement
from mock_crm.boletos import febraban, pdf, pix
from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.boletos.schemas import BoletoBatch, BoletoOut, PaymentAgreement
from mock_crm.debtors.models import Debtor
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.debtors.service import SAO_PAULO, DebtorNotFound, address_of, primary_debt, today_sp
from mock_crm.settings import CrmSettings

BANK_NAMES = {"341": "Banco Itaú S.A.", "001": "Banco do Brasil S.A.", "237": "Banco Bradesco S.A."}


class BoletoNotFound(NotFound):
    detail = "Boleto não encontrado."


class AgreementInvalid(Invalid):
    detail = "Acordo inválido."


def agreement_key(a: PaymentAgreement) -> str:
    basis = a.session_id or f"{a.debtor_cpf}|{a.total_amount}|{a.installments}|{a.first_due_date}"
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


def due_dates(a: PaymentAgreement) -> list[date]:
    if a.scheduled_payment_dates and len(a.scheduled_payment_dates) == a.installments:
        return list(a.scheduled_payment_dates)
    return [add_months(a.first_due_date, i) for i in range(a.installments)]


class BoletoService:
    def __init__(self, repo: BoletoRepository, debtors: DebtorRepository, settings: CrmSettings, base_url: str) -> None:
        self.repo = repo
        self.debtors = debtors
        self.settings = settings
        self.base_url = (settings.public_base_url or base_url).rstrip("/")

    async def issue(self, a: PaymentAgreement, debtor: Debtor | None = None) -> tuple[BoletoBatch, bool]:
        """The agreement's boletos; the same agreement again returns them (created=False).

        `debtor`: the agreement's debtor when the caller has already read it (the outcome's POST)."""
        key = agreement_key(a)
        existing = await self.repo.by_agreement(key)
        if existing:
            return await self.batch(key, existing), False
        if debtor is None:
            debtor = await self.debtors.by_cpf(a.debtor_cpf)
        if debtor is None:
            raise DebtorNotFound()
        self._check(a, debtor)
        total = to_cents(a.total_amount)
        down = to_cents(a.down_payment_amount) if a.down_payment_amount else 0
        if 0 < down < total and a.installments > 1:
            amounts = [down, *split_installments(total - down, a.installments - 1)]
        else:
            amounts = split_installments(total, a.installments)
        dates = due_dates(a)
        rows: list[Boleto] = []
        numbers = await self.repo.next_nosso_numeros(a.installments)
        for i, (cents, due, number) in enumerate(zip(amounts, dates, numbers, strict=True), start=1):
            nn = f"{number % 10**8:08d}"
            free = febraban.itau_free_field(
                self.settings.boleto_carteira, nn, self.settings.boleto_agency, self.settings.boleto_account
            )
            nums = febraban.numbers(self.settings.boleto_bank_code, due, cents, free)
            boleto_id = str(uuid.uuid4())
            row = Boleto(
                id=boleto_id,
                debtor_id=debtor.id,
                agreement_key=key,
                session_id=a.session_id,
                installment=i,
                installments=a.installments,
                amount_cents=cents,
                due_date=due,
                nosso_numero=nn,
                barcode=nums.barcode,
                linha_digitavel=nums.linha_digitavel,
                pix_copia_e_cola=pix.br_code(
                    key=self.settings.pix_key,
                    amount=from_cents(cents),
                    name=self.settings.creditor_name,
                    city=self.settings.pix_merchant_city,
                    txid=f"CB{nn}{i:02d}",
                ),
                status="issued",
                created_at=utcnow(),  # now, not at the flush: the PDF rendered below prints its date
            )
            self.repo.session.add(row)
            rows.append(row)
        # Rendered once, here, in a thread (CPU-bound): every GET and the delivery read the bytes.
        docs = [document(row, debtor, self.settings) for row in rows]
        for row, body in zip(rows, await asyncio.to_thread(lambda: [pdf.render(d) for d in docs]), strict=True):
            row.pdf = body
        await self.repo.session.flush()
        await open_agreement(self.repo.session, key=key, debtor_id=debtor.id, session_id=a.session_id, rows=rows)
        for row in rows:
            # The outbox row lives in the same transaction: a restart before delivery loses nothing.
            # Only the first installment goes now; each of the others a few days before it falls due,
            # so an 18-installment deal is not 18 PDFs at once (the rest also come on request).
            self.repo.session.add(
                BoletoDelivery(boleto_id=row.id, phone=debtor.phone, next_attempt_at=delivery_time(row, today_sp()))
            )
        await self.repo.session.flush()
        original = to_cents(a.original_amount) if a.original_amount is not None else None
        # Each delivery was just written as pending: nothing to read back.
        return await self.batch(key, rows, original, delivery="pending"), True

    def _check(self, a: PaymentAgreement, debtor: Debtor) -> None:
        debt = primary_debt(debtor)
        total = to_cents(a.total_amount)
        if total > debt.amount_cents:
            raise AgreementInvalid("Acordo inválido: o total passa do valor da dívida.")
        if total < a.installments:
            raise AgreementInvalid("Acordo inválido: cada parcela precisa de pelo menos R$ 0,01.")
        today = today_sp()
        dates = due_dates(a)
        if dates[0] < today:
            raise AgreementInvalid(
                "Acordo inválido: o primeiro vencimento já passou "
                f"(dueDate {dates[0]:%d/%m/%Y}, hoje é {today:%d/%m/%Y})."
            )
        if a.scheduled_payment_dates and len(a.scheduled_payment_dates) != a.installments:
            raise AgreementInvalid("Acordo inválido: scheduled_payment_dates precisa de uma data por parcela.")
        if any(b <= x for x, b in itertools.pairwise(dates)):
            raise AgreementInvalid("Acordo inválido: as datas das parcelas precisam ser crescentes.")

    async def get(self, boleto_id: str) -> Boleto:
        row = await self.repo.get(boleto_id)
        if row is None:
            raise BoletoNotFound()
        return row

    async def out(self, rows: Sequence[Boleto], delivery: str | None = None) -> list[BoletoOut]:
        """The boletos as the API shows them; `delivery`: their delivery status, when the caller knows it."""
        statuses = (
            {r.id: delivery for r in rows}
            if delivery is not None
            else {i: d.status for i, d in (await self.repo.deliveries_of([r.id for r in rows])).items()}
        )
        cpfs: dict[int, str] = {}
        for r in rows:
            if r.debtor_id not in cpfs:
                debtor = await self.debtors.session.get(Debtor, r.debtor_id)
                cpfs[r.debtor_id] = debtor.cpf if debtor else ""
        return [
            BoletoOut(
                boleto_id=r.id,
                debtor_cpf=cpfs[r.debtor_id],
                amount=from_cents(r.amount_cents),
                due_date=r.due_date,
                installment=r.installment,
                installments=r.installments,
                barcode=r.barcode,
                linha_digitavel=r.linha_digitavel,
                linha_digitavel_formatada=febraban.format_linha(r.linha_digitavel),
                pix_copia_e_cola=r.pix_copia_e_cola,
                nosso_numero=r.nosso_numero,
                pdf_url=f"{self.base_url}/api/boletos/{r.id}/pdf",
                status=r.status,
                delivery_status=statuses.get(r.id),
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def batch(
        self, key: str, rows: Sequence[Boleto], original_cents: int | None = None, delivery: str | None = None
    ) -> BoletoBatch:
        """The boletos, and what the CRM derived: the agreed sum, the discount on the original, the schedule."""
        agreed = sum(r.amount_cents for r in rows)
        if original_cents is None and rows:
            debtor = await self.debtors.session.get(Debtor, rows[0].debtor_id)
            original_cents = primary_debt(debtor).amount_cents if debtor is not None else None
        return BoletoBatch(
            agreement_key=key,
            boletos=await self.out(rows, delivery),
            agreed_amount=from_cents(agreed),
            original_amount=from_cents(original_cents) if original_cents is not None else None,
            discount_applied=from_cents(max(original_cents - agreed, 0)) if original_cents is not None else None,
            scheduled_payment_dates=[r.due_date for r in sorted(rows, key=lambda r: r.installment)],
        )

    async def pdf_of(self, row: Boleto) -> bytes:
        """The stored PDF; a boleto issued before PDFs were stored is rendered once and stored now."""
        stored = await self.repo.pdf(row.id)
        if stored is not None:
            return stored
        debtor = await self.debtors.session.get(Debtor, row.debtor_id)
        assert debtor is not None
        body = await asyncio.to_thread(pdf.render, document(row, debtor, self.settings))
        await self.repo.store_pdf(row.id, body)
        return body


def percent_of(cents: int, percentage: Decimal) -> int:
    """`percentage`% of an amount, in cents, rounded half up (R$ 333,33 x 0,033% = R$ 0,11)."""
    return int((Decimal(cents) * percentage / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def document(row: Boleto, debtor: Debtor, s: CrmSettings) -> pdf.BoletoDoc:
    dac = febraban.mod10(s.boleto_agency + s.boleto_account)
    nn_dac = febraban.mod10(s.boleto_agency + s.boleto_account + s.boleto_carteira + row.nosso_numero)
    debt = primary_debt(debtor)
    address = address_of(debtor)
    return pdf.BoletoDoc(
        bank_code=s.boleto_bank_code,
        bank_dv=febraban.bank_dv(s.boleto_bank_code),
        bank_name=BANK_NAMES.get(s.boleto_bank_code, f"Banco {s.boleto_bank_code}"),
        creditor_name=s.creditor_name,
        creditor_cnpj=s.creditor_cnpj,
        creditor_address=s.creditor_address,
        agency_account=f"{s.boleto_agency} / {s.boleto_account}-{dac}",
        carteira=s.boleto_carteira,
        nosso_numero=f"{s.boleto_carteira}/{row.nosso_numero}-{nn_dac}",
        document_number=row.nosso_numero,
        especie_doc=s.boleto_especie_doc,
        payer_name=debtor.name,
        payer_cpf=debtor.cpf,
        payer_address=None
        if address is None
        else pdf.PayerAddress(
            street=address.street,
            number=address.number,
            complement=address.complement,
            district=address.district,
            city=address.city,
            uf=address.uf,
            cep=address.cep,
        ),
        amount_cents=row.amount_cents,
        due_date=row.due_date,
        issue_date=row.created_at.astimezone(SAO_PAULO).date(),
        installment=row.installment,
        installments=row.installments,
        late_fee_percentage=s.late_fee_percentage,
        late_fee_cents=percent_of(row.amount_cents, s.late_fee_percentage),
        daily_interest_percentage=s.daily_interest_percentage,
        daily_interest_cents=percent_of(row.amount_cents, s.daily_interest_percentage),
        barcode=row.barcode,
        linha_formatada=febraban.format_linha(row.linha_digitavel),
        pix=row.pix_copia_e_cola,
        description=f"acordo de {debt.description.lower()} ({debt.original_creditor}), contrato {debt.contract_number}",
    )


SEND_AHEAD_DAYS = 5


def delivery_time(b: Boleto, today: date) -> datetime:
    """When a boleto goes out on WhatsApp: the first at once, the others SEND_AHEAD_DAYS before they fall due
    (09:00 in São Paulo, inside contact hours)."""
    if b.installment == 1:
        return utcnow()
    day = b.due_date - timedelta(days=SEND_AHEAD_DAYS)
    if day <= today:
        return utcnow()
    return datetime.combine(day, time(9, 0), tzinfo=ZoneInfo("America/Sao_Paulo")).astimezone(UTC)
