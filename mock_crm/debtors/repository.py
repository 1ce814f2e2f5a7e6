from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from mock_crm.debtors.models import ANONYMOUS_NAME, ContactLog, Debt, Debtor


class DebtorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_cpf(self, cpf: str) -> Debtor | None:
        return await self.session.scalar(select(Debtor).where(Debtor.cpf_hash == cpf))

    async def by_public_id(self, public_id: str) -> Debtor | None:
        return await self.session.scalar(select(Debtor).where(Debtor.public_id == public_id))

    async def add(self, debtor: Debtor) -> Debtor:
        self.session.add(debtor)
        await self.session.flush()
        return debtor

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(Debtor)) or 0

    async def page(
        self,
        *,
        phone_key: str | None,
        offset: int,
        limit: int,
        due_before: date | None = None,
        due_after: date | None = None,
        min_cents: int | None = None,
        max_cents: int | None = None,
    ) -> tuple[Sequence[Debtor], int]:
        # Anonymised debtors (mock_crm.privacy: CPF replaced by a pseudonym, name by this) are no one to list.
        stmt = select(Debtor).where(Debtor.name != ANONYMOUS_NAME)
        if phone_key is not None:
            stmt = stmt.where(Debtor.phone_key == phone_key)
        if any(v is not None for v in (due_before, due_after, min_cents, max_cents)):
            debt = select(Debt.debtor_id).where(Debt.status == "open")
            if due_before is not None:
                debt = debt.where(Debt.due_date <= due_before)
            if due_after is not None:
                debt = debt.where(Debt.due_date >= due_after)
            if min_cents is not None:
                debt = debt.where(Debt.amount_cents >= min_cents)
            if max_cents is not None:
                debt = debt.where(Debt.amount_cents <= max_cents)
            stmt = stmt.where(Debtor.id.in_(debt))
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = await self.session.scalars(stmt.order_by(Debtor.id).offset(offset).limit(limit))
        return rows.all(), total

    async def contact_stats(
        self, debtor_ids: Sequence[int], kind: str = "payment_promise"
    ) -> dict[int, tuple[int, ContactLog | None]]:
        """For each debtor: how many contacts, and the latest contact of `kind` (a payment promise) if any."""
        if not debtor_ids:
            return {}
        result = await self.session.execute(
            select(ContactLog.debtor_id, func.count())
            .where(ContactLog.debtor_id.in_(debtor_ids))
            .group_by(ContactLog.debtor_id)
        )
        counts: dict[int, int] = {debtor_id: n for debtor_id, n in result.all()}
        promises: dict[int, ContactLog] = {}
        rows = await self.session.scalars(
            select(ContactLog)
            .where(ContactLog.debtor_id.in_(debtor_ids), ContactLog.kind == kind)
            .order_by(ContactLog.id)
        )
        for row in rows:
            promises[row.debtor_id] = row  # ordered by id: the last one wins
        return {i: (counts.get(i, 0), promises.get(i)) for i in debtor_ids}

    async def last_contact(self, debtor_ids: Sequence[int]) -> dict[int, ContactLog]:
        if not debtor_ids:
            return {}
        last_ids = (
            select(func.max(ContactLog.id)).where(ContactLog.debtor_id.in_(debtor_ids)).group_by(ContactLog.debtor_id)
        )
        rows = await self.session.scalars(select(ContactLog).where(ContactLog.id.in_(last_ids)))
        return {row.debtor_id: row for row in rows}

    async def add_contact(self, entry: ContactLog) -> ContactLog:
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def contacts(self, debtor_id: int) -> Sequence[ContactLog]:
        rows = await self.session.scalars(
            select(ContactLog).where(ContactLog.debtor_id == debtor_id).order_by(ContactLog.id)
        )
        return rows.all()

    async def with_debts(self, debtor_id: int) -> Debtor | None:
        return await self.session.scalar(
            select(Debtor).where(Debtor.id == debtor_id).options(selectinload(Debtor.debts))
        )
