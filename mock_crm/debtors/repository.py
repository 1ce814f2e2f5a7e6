from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from mock_crm.debtors.models import ANONYMOUS_NAME, ContactLog, Debt, Debtor


@dataclass(frozen=True)
class ContactSummary:
    """What a debtor's record says about its contacts."""

    count: int = 0
    last_at: datetime | None = None
    promised_date: date | None = None  # of the latest payment promise
    follow_up_date: date | None = None  # of the latest follow-up


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
        # One row more than the page: a page that is not full tells the total, and the count is asked
        # only when it cannot (a lookup by phone, the bot's every "oi", is then one statement).
        found = (await self.session.scalars(stmt.order_by(Debtor.id).offset(offset).limit(limit + 1))).all()
        rows = found[:limit]
        if len(found) <= limit and (found or offset == 0):
            return rows, offset + len(found)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        return rows, total

    async def contact_summaries(self, debtor_ids: Sequence[int]) -> dict[int, ContactSummary]:
        """For each debtor, from one statement: how many contacts, when the latest was, and the dates
        of the latest payment promise and of the latest follow-up."""
        if not debtor_ids:
            return {}
        rows = await self.session.execute(
            select(ContactLog.debtor_id, ContactLog.kind, ContactLog.created_at, ContactLog.promised_date)
            .where(ContactLog.debtor_id.in_(debtor_ids))
            .order_by(ContactLog.id)
        )
        found: dict[int, ContactSummary] = {}
        for debtor_id, kind, created_at, promised_date in rows:  # ordered by id: the later one wins
            seen = found.get(debtor_id) or ContactSummary()
            found[debtor_id] = ContactSummary(
                count=seen.count + 1,
                last_at=created_at,
                promised_date=promised_date if kind == "payment_promise" else seen.promised_date,
                follow_up_date=promised_date if kind == "follow_up" else seen.follow_up_date,
            )
        return {i: found.get(i) or ContactSummary() for i in debtor_ids}

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
