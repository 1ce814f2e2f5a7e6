from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from certokit.db import dialect_of
from mock_crm.agreements.models import Agreement
from mock_crm.boletos.models import Boleto
from mock_crm.debtors.models import ContactLog, Debtor
from mock_crm.payments.models import Payment


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str, *, lock: bool = False) -> Agreement | None:
        stmt = select(Agreement).where(Agreement.key == key)
        if lock and dialect_of(self.session) == "postgresql":
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).first()

    async def search(
        self,
        *,
        status: str | None = None,
        session_id: str | None = None,
        debtor_id: int | None = None,
        debtor_cpf: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Agreement]:
        stmt = select(Agreement).order_by(Agreement.created_at, Agreement.key).limit(limit).offset(offset)
        if status is not None:
            stmt = stmt.where(Agreement.status == status)
        if session_id is not None:
            stmt = stmt.where(Agreement.session_id == session_id)
        if debtor_id is not None:
            stmt = stmt.where(Agreement.debtor_id == debtor_id)
        if debtor_cpf is not None:
            stmt = stmt.join(Debtor, Debtor.id == Agreement.debtor_id).where(Debtor.cpf_hash == debtor_cpf)
        if due_from is not None or due_to is not None:
            # An agreement is "due between" when one of its installments falls in the range.
            cond = [Boleto.agreement_key == Agreement.key]
            if due_from is not None:
                cond.append(Boleto.due_date >= due_from)
            if due_to is not None:
                cond.append(Boleto.due_date <= due_to)
            stmt = stmt.where(exists().where(*cond))
        return (await self.session.scalars(stmt)).all()

    async def boletos_of(self, keys: Sequence[str]) -> dict[str, list[Boleto]]:
        out: dict[str, list[Boleto]] = {k: [] for k in keys}
        if not keys:
            return out
        rows = await self.session.scalars(
            select(Boleto).where(Boleto.agreement_key.in_(keys)).order_by(Boleto.agreement_key, Boleto.installment)
        )
        for b in rows:
            out[b.agreement_key].append(b)
        return out

    async def payments_of(self, keys: Sequence[str]) -> dict[str, list[Payment]]:
        out: dict[str, list[Payment]] = {k: [] for k in keys}
        if not keys:
            return out
        rows = await self.session.scalars(
            select(Payment).where(Payment.agreement_key.in_(keys)).order_by(Payment.paid_at, Payment.id)
        )
        for p in rows:
            out[p.agreement_key].append(p)
        return out

    async def debtors_of(self, ids: Sequence[int]) -> dict[int, Debtor]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Debtor).where(Debtor.id.in_(set(ids))))
        return {d.id: d for d in rows}

    async def promises(
        self, *, since: date, until: date, kind: str = "payment_promise", limit: int = 500
    ) -> Sequence[ContactLog]:
        rows = await self.session.scalars(
            select(ContactLog)
            .where(
                ContactLog.kind == kind,
                ContactLog.promised_date >= since,
                ContactLog.promised_date <= until,
            )
            .order_by(ContactLog.promised_date, ContactLog.id)
            .limit(limit)
        )
        return rows.all()

    async def settled_since(self, debtor_id: int, since: datetime) -> bool:
        """Whether the debtor closed an agreement after `since` (whose own reminders then take over)."""
        agreement = await self.session.scalar(
            select(Agreement.key).where(Agreement.debtor_id == debtor_id, Agreement.created_at >= since).limit(1)
        )
        return agreement is not None
