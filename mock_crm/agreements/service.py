"""Agreements: opened with their boletos, viewed with what is paid and open, broken or closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from certokit.errors import Conflict, NotFound
from certokit.money import from_cents
from mock_crm.agreements.models import Agreement
from mock_crm.agreements.repository import AgreementRepository
from mock_crm.agreements.schemas import (
    ANOMALY_PT,
    AgreementOut,
    InstallmentOut,
    InstallmentStatus,
    PaymentOut,
    PromiseKind,
    PromiseOut,
)
from mock_crm.boletos.models import Boleto
from mock_crm.debtors.models import Debtor
from mock_crm.payments.models import Payment


class AgreementNotFound(NotFound):
    detail = "Acordo não encontrado."


class AgreementNotActive(Conflict):
    detail = "O acordo não está ativo."


async def open_for(
    session: AsyncSession, *, key: str, debtor_id: int, session_id: str | None, rows: Sequence[Boleto]
) -> None:
    """The agreement row born with its boletos, in their transaction (the seam BoletoService calls)."""
    session.add(
        Agreement(
            key=key,
            debtor_id=debtor_id,
            session_id=session_id,
            status="active",
            total_cents=sum(r.amount_cents for r in rows),
            installments=len(rows),
        )
    )
    await session.flush()


def installment_status(boleto: Boleto, paid_cents: int, today: date) -> InstallmentStatus:
    if boleto.status == "cancelled":
        return "cancelled"
    if paid_cents >= boleto.amount_cents or boleto.status == "paid":
        return "paid"
    return "overdue" if boleto.due_date < today else "open"


def paid_by_boleto(payments: Sequence[Payment]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in payments:
        out[p.boleto_id] = out.get(p.boleto_id, 0) + p.applied_cents
    return out


def payment_out(p: Payment, boleto: Boleto, agreement: Agreement, paid_cents: int, today: date) -> PaymentOut:
    return PaymentOut(
        payment_id=p.payment_id,
        boleto_id=p.boleto_id,
        agreement_id=p.agreement_key,
        installment=boleto.installment,
        installments=boleto.installments,
        channel=p.channel,
        amount=from_cents(p.amount_cents),
        applied_amount=from_cents(p.applied_cents),
        excess_amount=from_cents(p.excess_cents),
        outcome=p.outcome,
        anomaly=ANOMALY_PT.get(p.anomaly, p.anomaly) if p.anomaly else None,
        installment_status=installment_status(boleto, paid_cents, today),
        agreement_status=agreement.status,
        paid_at=p.paid_at,
        recorded_at=p.created_at,
    )


class AgreementService:
    def __init__(self, repo: AgreementRepository) -> None:
        self.repo = repo

    async def search(self, *, today: date, limit: int = 100, offset: int = 0, **filters: object) -> list[AgreementOut]:
        rows = await self.repo.search(limit=limit, offset=offset, **filters)  # type: ignore[arg-type]
        return await self.views(rows, today)

    async def get(self, key: str, today: date) -> AgreementOut:
        row = await self.repo.get(key)
        if row is None:
            raise AgreementNotFound()
        return (await self.views([row], today))[0]

    async def views(self, rows: Sequence[Agreement], today: date) -> list[AgreementOut]:
        keys = [r.key for r in rows]
        boletos = await self.repo.boletos_of(keys)
        payments = await self.repo.payments_of(keys)
        debtors = await self.repo.debtors_of([r.debtor_id for r in rows])
        return [self._view(r, debtors[r.debtor_id], boletos[r.key], payments[r.key], today) for r in rows]

    def _view(
        self, a: Agreement, debtor: Debtor, boletos: list[Boleto], payments: list[Payment], today: date
    ) -> AgreementOut:
        paid = paid_by_boleto(payments)
        by_id = {b.id: b for b in boletos}
        installments = [
            InstallmentOut(
                boleto_id=b.id,
                installment=b.installment,
                amount=from_cents(b.amount_cents),
                paid_amount=from_cents(paid.get(b.id, 0)),
                open_amount=from_cents(0 if b.status == "cancelled" else max(0, b.amount_cents - paid.get(b.id, 0))),
                due_date=b.due_date,
                status=installment_status(b, paid.get(b.id, 0), today),
            )
            for b in boletos
        ]
        paid_total = sum(paid.values())
        open_total = sum(i.open_amount for i in installments)
        return AgreementOut(
            agreement_id=a.key,
            session_id=a.session_id,
            debtor_id=a.debtor_id,
            debtor_name=debtor.name,
            debtor_phone=debtor.phone,
            debtor_opted_out=debtor.opted_out,
            status=a.status,
            total_amount=from_cents(a.total_cents),
            paid_amount=from_cents(paid_total),
            open_amount=open_total,
            installments=installments,
            payments=[payment_out(p, by_id[p.boleto_id], a, paid.get(p.boleto_id, 0), today) for p in payments],
            created_at=a.created_at,
            closed_at=a.closed_at,
        )

    async def promises(self, *, since: date, until: date, kind: PromiseKind = "payment_promise") -> list[PromiseOut]:
        """Promises falling due between the two dates, each with whether it was kept: to pay on a date
        (`payment_promise`), or to talk again on a date (`follow_up`, "agora não dá, depois eu vejo")."""
        rows = await self.repo.promises(since=since, until=until, kind=kind)
        debtors = await self.repo.debtors_of([r.debtor_id for r in rows])
        out = []
        for r in rows:
            debtor = debtors[r.debtor_id]
            paid = any(d.status == "paid" for d in debtor.debts)
            assert r.promised_date is not None  # selected on it
            out.append(
                PromiseOut(
                    kind=kind,
                    promise_id=r.id,
                    session_id=r.session_id,
                    debtor_name=debtor.name,
                    debtor_phone=debtor.phone,
                    debtor_opted_out=debtor.opted_out,
                    promised_date=r.promised_date,
                    kept=paid or await self.repo.settled_since(r.debtor_id, r.created_at),
                )
            )
        return out

    async def mark_broken(self, key: str, now: datetime) -> AgreementOut:
        """An active agreement whose grace period passed: broken (the debt may be renegotiated)."""
        row = await self.repo.get(key, lock=True)
        if row is None:
            raise AgreementNotFound()
        if row.status == "broken":
            return (await self.views([row], now.date()))[0]
        if row.status != "active":
            raise AgreementNotActive(f"O acordo está {STATUS_PT[row.status]}; só um acordo ativo pode ser rompido.")
        row.status = "broken"
        row.closed_at = now
        debtor = await self.repo.session.get(Debtor, row.debtor_id)
        if debtor is not None:
            for debt in debtor.debts:
                if debt.status == "agreed":
                    debt.status = "open"  # renegotiable by a new conversation
        await self.repo.session.flush()
        return (await self.views([row], now.date()))[0]


STATUS_PT = {"active": "ativo", "paid": "quitado", "broken": "rompido", "cancelled": "cancelado"}
