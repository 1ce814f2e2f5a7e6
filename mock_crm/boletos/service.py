"""Issuing boletos for an agreement: checked, numbered, idempotent, and queued for WhatsApp delivery."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import uuid
from collections.abc import Sequence
from datetime import date

from certobot.config import CrmSettings
from certobot.errors import Invalid, NotFound
from certobot.money import from_cents, split_installments, to_cents
from certobot.negotiation.policy import add_months
from mock_crm.agreements.service import open_for as open_agreement
from mock_crm.boletos import febraban, pdf, pix
from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.boletos.schemas import BoletoBatch, BoletoOut, PaymentAgreement
from mock_crm.debtors.models import Debtor
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.debtors.service import DebtorNotFound, primary_debt, today_sp

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

    async def issue(self, a: PaymentAgreement) -> tuple[BoletoBatch, bool]:
        """The agreement's boletos; the same agreement again returns them (created=False)."""
        key = agreement_key(a)
        existing = await self.repo.by_agreement(key)
        if existing:
            return await self.batch(key, existing), False
        debtor = await self.debtors.by_cpf(a.debtor_cpf)
        if debtor is None:
            raise DebtorNotFound()
        self._check(a, debtor)
        total = to_cents(a.total_amount)
        amounts = split_installments(total, a.installments)
        dates = due_dates(a)
        rows: list[Boleto] = []
        for i, (cents, due) in enumerate(zip(amounts, dates, strict=True), start=1):
            nn = await self._nosso_numero(key, i)
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
            )
            self.repo.session.add(row)
            rows.append(row)
        await self.repo.session.flush()
        await open_agreement(self.repo.session, key=key, debtor_id=debtor.id, session_id=a.session_id, rows=rows)
        for row in rows:
            # The outbox row lives in the same transaction: a restart before delivery loses nothing.
            self.repo.session.add(BoletoDelivery(boleto_id=row.id, phone=debtor.phone))
        await self.repo.session.flush()
        return await self.batch(key, rows), True

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
            raise AgreementInvalid("Acordo inválido: o primeiro vencimento já passou.")
        if a.scheduled_payment_dates and len(a.scheduled_payment_dates) != a.installments:
            raise AgreementInvalid("Acordo inválido: scheduled_payment_dates precisa de uma data por parcela.")
        if any(b <= x for x, b in itertools.pairwise(dates)):
            raise AgreementInvalid("Acordo inválido: as datas das parcelas precisam ser crescentes.")

    async def _nosso_numero(self, key: str, installment: int) -> str:
        seed = int(hashlib.sha256(f"{key}:{installment}".encode()).hexdigest(), 16)
        for bump in range(50):
            nn = f"{(seed + bump) % 10**8:08d}"
            if not await self.repo.nosso_numero_taken(nn):
                return nn
        raise RuntimeError("sem nosso número livre")  # pragma: no cover

    async def get(self, boleto_id: str) -> Boleto:
        row = await self.repo.get(boleto_id)
        if row is None:
            raise BoletoNotFound()
        return row

    async def out(self, rows: Sequence[Boleto]) -> list[BoletoOut]:
        deliveries = await self.repo.deliveries_of([r.id for r in rows])
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
                delivery_status=deliveries[r.id].status if r.id in deliveries else None,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def batch(self, key: str, rows: Sequence[Boleto]) -> BoletoBatch:
        return BoletoBatch(agreement_key=key, boletos=await self.out(rows))

    async def pdf_of(self, row: Boleto) -> bytes:
        debtor = await self.debtors.session.get(Debtor, row.debtor_id)
        assert debtor is not None
        return await asyncio.to_thread(pdf.render, document(row, debtor, self.settings))


def document(row: Boleto, debtor: Debtor, s: CrmSettings) -> pdf.BoletoDoc:
    dac = febraban.mod10(s.boleto_agency + s.boleto_account)
    nn_dac = febraban.mod10(s.boleto_agency + s.boleto_account + s.boleto_carteira + row.nosso_numero)
    debt = primary_debt(debtor)
    return pdf.BoletoDoc(
        bank_code=s.boleto_bank_code,
        bank_name=BANK_NAMES.get(s.boleto_bank_code, f"Banco {s.boleto_bank_code}"),
        creditor_name=s.creditor_name,
        creditor_cnpj=s.creditor_cnpj,
        creditor_address=s.creditor_address,
        agency_account=f"{s.boleto_agency} / {s.boleto_account}-{dac}",
        carteira=s.boleto_carteira,
        nosso_numero=f"{s.boleto_carteira}/{row.nosso_numero}-{nn_dac}",
        payer_name=debtor.name,
        payer_cpf=debtor.cpf,
        amount_cents=row.amount_cents,
        due_date=row.due_date,
        issue_date=row.created_at.date(),
        installment=row.installment,
        installments=row.installments,
        barcode=row.barcode,
        linha_formatada=febraban.format_linha(row.linha_digitavel),
        pix=row.pix_copia_e_cola,
        description=f"Acordo de {debt.description.lower()} ({debt.original_creditor}), contrato {debt.contract_number}",
    )
