from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Integer, Select, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from certokit import rawsql
from mock_crm.debtors.models import ANONYMOUS_NAME, ContactLog, Debt, Debtor


@dataclass(frozen=True)
class ContactSummary:
    """What a debtor's record says about its contacts."""

    count: int = 0
    last_at: datetime | None = None
    promised_date: date | None = None  # of the latest payment promise
    follow_up_date: date | None = None  # of the latest follow-up


@dataclass(frozen=True, slots=True)
class DebtView:
    """A debt as a lookup answers it: plain values, no ORM instance to build and track."""

    id: int
    kind: str
    description: str
    contract_number: str
    original_creditor: str
    amount_cents: int
    due_date: date
    status: str
    max_discount_percentage: Decimal
    min_payment_cents: int
    max_installments: int


@dataclass(frozen=True, slots=True)
class DebtorView:
    """A debtor with its debts (ordered by id) and its contact summary, read in one statement."""

    id: int
    public_id: str
    cpf: str
    name: str
    phone: str
    email: str | None
    street: str | None
    number: str | None
    complement: str | None
    district: str | None
    city: str | None
    state: str | None
    cep: str | None
    opted_out: bool
    debts: list[DebtView]
    contacts: ContactSummary


_DEBTOR_COLS = [
    Debtor.__table__.c[f.name] for f in DebtorView.__dataclass_fields__.values() if f.name not in ("debts", "contacts")
]
_DEBT_COLS = [Debt.__table__.c[f.name].label(f"debt_{f.name}") for f in DebtView.__dataclass_fields__.values()]


def _latest(column: Any, kind: str | None = None) -> Any:
    """The column of the debtor's latest contact (of `kind`, if given): the highest id wins."""
    q = select(column).where(ContactLog.debtor_id == Debtor.id)
    if kind is not None:
        q = q.where(ContactLog.kind == kind)
    # LIMIT as a literal, not a parameter: see _BY_PHONE.
    return q.order_by(ContactLog.id.desc()).limit(literal_column("1", Integer)).scalar_subquery()


def _views(
    where: list[ColumnElement[bool]],
    *,
    offset: int | BindParameter[int] = 0,
    limit: int | BindParameter[int] | None = None,
) -> Select[Any]:
    """One statement for a page of debtors: each with its debts (one row per debt) and, per debtor,
    the contact summary as scalar subqueries (count; the latest contact's time; the date of the
    latest payment promise and of the latest follow-up). Portable SQL: Postgres and SQLite."""
    page = (
        select(
            Debtor.id.label("page_id"),
            select(func.count()).where(ContactLog.debtor_id == Debtor.id).scalar_subquery().label("c_count"),
            _latest(ContactLog.created_at).label("c_last_at"),
            _latest(ContactLog.promised_date, "payment_promise").label("c_promised"),
            _latest(ContactLog.promised_date, "follow_up").label("c_follow_up"),
        )
        .where(*where)
        .order_by(Debtor.id)
    )
    if not isinstance(offset, int) or offset:  # no OFFSET parameter where there is none: see _BY_PHONE
        page = page.offset(offset)
    if limit is not None:
        page = page.limit(limit)
    rows = page.subquery()
    return (
        select(*_DEBTOR_COLS, *_DEBT_COLS, rows.c.c_count, rows.c.c_last_at, rows.c.c_promised, rows.c.c_follow_up)
        .select_from(rows.join(Debtor, Debtor.id == rows.c.page_id).outerjoin(Debt, Debt.debtor_id == Debtor.id))
        .order_by(Debtor.id, Debt.id)
    )


def _collect(rows: Any) -> list[DebtorView]:
    out: list[DebtorView] = []
    for row in rows:
        m = row._mapping
        if not out or out[-1].id != m["id"]:
            out.append(
                DebtorView(
                    **{c.name: m[c.name] for c in _DEBTOR_COLS},
                    debts=[],
                    contacts=ContactSummary(
                        count=m["c_count"],
                        last_at=m["c_last_at"],
                        promised_date=m["c_promised"],
                        follow_up_date=m["c_follow_up"],
                    ),
                )
            )
        if m["debt_id"] is not None:
            out[-1].debts.append(DebtView(**{f: m[f"debt_{f}"] for f in DebtView.__dataclass_fields__}))
    return out


def _filters(
    phone_key: str | None,
    due_before: date | None,
    due_after: date | None,
    min_cents: int | None,
    max_cents: int | None,
) -> list[ColumnElement[bool]]:
    # Anonymised debtors (mock_crm.privacy: CPF replaced by a pseudonym, name by this) are no one to list.
    where: list[ColumnElement[bool]] = [Debtor.name != ANONYMOUS_NAME]
    if phone_key is not None:
        where.append(Debtor.phone_key == phone_key)
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
        where.append(Debtor.id.in_(debt))
    return where


def _count(where: list[ColumnElement[bool]]) -> Select[Any]:
    return select(func.count()).select_from(Debtor).where(*where)


def _listing(where: list[ColumnElement[bool]]) -> tuple[Select[Any], Select[Any]]:
    """(a page, the count) for these filters, with `offset` and `limit` bound at execution."""
    return _views(where, offset=bindparam("offset", type_=Integer), limit=bindparam("limit", type_=Integer)), _count(
        where
    )


# The hot statements, built once at import: SQLAlchemy building and compiling them per call (its
# cache key included) was a quarter of the CRM's CPU in a lookup; a call now only binds and executes.
_BY_CPF = _views([Debtor.cpf_hash == bindparam("key")])
_BY_PUBLIC_ID = _views([Debtor.public_id == bindparam("key")])
# The bot's every "oi": the debtors at a phone (one, as a rule), the first by id answering. Keys only,
# no LIMIT or OFFSET parameter: with one, Postgres cannot cost a plan made once for every call, keeps
# making one per call (a third of a millisecond each, more than running it), and never settles on
# the one plan this statement needs.
_BY_PHONE = _views([*_filters(None, None, None, None, None), Debtor.phone_key == bindparam("key")])
_PAGE = _listing(_filters(None, None, None, None, None))
_PAGE_BY_PHONE = _listing([*_filters(None, None, None, None, None), Debtor.phone_key == bindparam("phone_key")])


async def warm_lookup(conn: Any) -> None:
    """A new connection made ready for the bot's lookups (certokit.rawsql.warm_pool): the lookup by
    phone run once for a phone nobody has, so the backend has the debtors' tables and indexes loaded
    before the first "oi" of a burst asks."""
    await rawsql.fetch_on(conn, _BY_PHONE, {"key": "warm-up"})


class DebtorReader:
    """The hot lookups (the bot's every "oi" by phone, its CPF check) as one Core statement on an
    autocommit connection: no ORM instances, no selectin second query, no BEGIN/COMMIT round trips."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def by_cpf(self, cpf: str) -> DebtorView | None:
        found = _collect(await self.conn.execute(_BY_CPF, {"key": cpf}))
        return found[0] if found else None

    async def by_public_id(self, public_id: str) -> DebtorView | None:
        found = _collect(await self.conn.execute(_BY_PUBLIC_ID, {"key": public_id}))
        return found[0] if found else None

    async def by_phone(self, phone_key: str) -> DebtorView | None:
        found = _collect(await self.conn.execute(_BY_PHONE, {"key": phone_key}))
        return found[0] if found else None

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
    ) -> tuple[list[DebtorView], int]:
        params: dict[str, Any] = {"offset": offset, "limit": limit + 1}
        if all(v is None for v in (due_before, due_after, min_cents, max_cents)):
            # The bot's lookup by phone and a plain page: statements built once, bound here.
            page, count = _PAGE_BY_PHONE if phone_key is not None else _PAGE
            if phone_key is not None:
                params["phone_key"] = phone_key
        else:  # an operator's filtered listing: rare, built for its filters
            where = _filters(phone_key, due_before, due_after, min_cents, max_cents)
            page, count = _listing(where)
        # One debtor more than the page: a page that is not full tells the total, and the count is
        # asked only when it cannot (a lookup by phone, the bot's every "oi", is then one statement).
        found = _collect(await self.conn.execute(page, params))
        rows = found[:limit]
        if len(found) <= limit and (found or offset == 0):
            return rows, offset + len(found)
        total = await self.conn.scalar(count, params) or 0
        return rows, total


def _one_with_debts(where: ColumnElement[bool]) -> Select[Any]:
    # The debts joined in the same statement, not by the relationship's selectin second query:
    # every caller (an outcome, a boleto, a contact) reads the primary debt.
    return select(Debtor).where(where).options(joinedload(Debtor.debts))


_ONE_BY_CPF = _one_with_debts(Debtor.cpf_hash == bindparam("key"))
_ONE_BY_PUBLIC_ID = _one_with_debts(Debtor.public_id == bindparam("key"))


class DebtorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_cpf(self, cpf: str) -> Debtor | None:
        return await self._one(_ONE_BY_CPF, cpf)

    async def by_public_id(self, public_id: str) -> Debtor | None:
        return await self._one(_ONE_BY_PUBLIC_ID, public_id)

    async def _one(self, stmt: Select[Any], key: str) -> Debtor | None:
        found = await self.session.execute(stmt, {"key": key})
        debtor: Debtor | None = found.unique().scalar_one_or_none()
        return debtor

    async def add(self, debtor: Debtor) -> Debtor:
        self.session.add(debtor)
        await self.session.flush()
        return debtor

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(Debtor)) or 0

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
