from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from certokit import leases
from certokit.db import dialect_of
from mock_crm.boletos.models import NOSSO_NUMERO_SEQ, Boleto, BoletoDelivery

# The outcome's and the delivery's reads, built once: a call binds and executes.
_BY_AGREEMENT = select(Boleto).where(Boleto.agreement_key == bindparam("key")).order_by(Boleto.installment)
_BY_SESSION = select(Boleto).where(Boleto.session_id == bindparam("key")).order_by(Boleto.installment)
_WITH_PDF = select(Boleto).where(Boleto.id == bindparam("key")).options(undefer(Boleto.pdf))


class BoletoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_agreement(self, key: str) -> Sequence[Boleto]:
        return (await self.session.scalars(_BY_AGREEMENT, {"key": key})).all()

    async def by_session(self, session_id: str) -> Sequence[Boleto]:
        return (await self.session.scalars(_BY_SESSION, {"key": session_id})).all()

    async def get(self, boleto_id: str) -> Boleto | None:
        return await self.session.get(Boleto, boleto_id)

    async def with_pdf(self, boleto_id: str) -> Boleto | None:
        """The boleto and its stored PDF in one SELECT (the delivery sends both)."""
        return await self.session.scalar(_WITH_PDF, {"key": boleto_id})

    async def next_nosso_numeros(self, n: int) -> list[int]:
        """`n` fresh numbers in one statement: the sequence on Postgres, the highest plus one on SQLite."""
        if dialect_of(self.session) == "postgresql":
            rows = await self.session.scalars(
                select(NOSSO_NUMERO_SEQ.next_value()).select_from(func.generate_series(1, n))
            )
            return list(rows)
        top = await self.session.scalar(select(func.max(cast(Boleto.nosso_numero, BigInteger))))
        return [(top or 0) + i for i in range(1, n + 1)]

    async def pdf(self, boleto_id: str) -> bytes | None:
        return await self.session.scalar(select(Boleto.pdf).where(Boleto.id == boleto_id))

    async def store_pdf(self, boleto_id: str, pdf: bytes) -> None:
        await self.session.execute(
            update(Boleto).where(Boleto.id == boleto_id).values(pdf=pdf).execution_options(synchronize_session=False)
        )

    async def deliveries_of(self, ids: Sequence[str]) -> dict[str, BoletoDelivery]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(BoletoDelivery).where(BoletoDelivery.boleto_id.in_(ids)))
        return {d.boleto_id: d for d in rows}

    async def claim_deliveries(
        self, now: datetime, limit: int, lease: timedelta, holder: int | None = None
    ) -> list[BoletoDelivery]:
        """Lease due deliveries in one UPDATE … RETURNING (the caller commits at once; see outbox.py).

        `holder`: the backend of the connection the caller holds while it delivers them
        (certokit.leases); a delivery leased by a holder whose backend is gone is free at once."""
        free = or_(BoletoDelivery.locked_until.is_(None), BoletoDelivery.locked_until <= now)
        if dialect_of(self.session) == "postgresql":
            free = or_(free, leases.holder_gone(BoletoDelivery.locked_by))
        ids: Select[Any] = (
            select(BoletoDelivery.id)
            .where(BoletoDelivery.status == "pending", BoletoDelivery.next_attempt_at <= now, free)
            .order_by(BoletoDelivery.id)
            .limit(limit)
        )
        if dialect_of(self.session) == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        stmt = (
            update(BoletoDelivery)
            .where(BoletoDelivery.id.in_(ids.scalar_subquery()))
            .values(locked_until=now + lease, locked_by=holder)
            .returning(BoletoDelivery)
            .execution_options(synchronize_session=False)
        )
        rows = (await self.session.scalars(stmt)).all()
        for row in rows:
            self.session.expunge(row)  # a plain copy: each step is recorded by an explicit UPDATE
        return sorted(rows, key=lambda r: r.id)

    async def finish_delivery(self, d: BoletoDelivery, boleto_id: str, **values: Any) -> None:
        """The last step: the delivery recorded (lease given back) and its boleto marked sent, both or
        neither. On Postgres one statement (the delivery's UPDATE as a CTE of the boleto's), so it
        needs no transaction around it; elsewhere two, in the caller's transaction."""
        values["locked_until"] = values["locked_by"] = None
        step = update(BoletoDelivery).where(BoletoDelivery.id == d.id).values(**values)
        sent = (
            update(Boleto)
            .where(Boleto.id == boleto_id, Boleto.status == "issued")
            .values(status="sent")
            .execution_options(synchronize_session=False)
        )
        if dialect_of(self.session) == "postgresql":
            await self.session.execute(sent.add_cte(step.cte("delivery_step")))
        else:
            await self.session.execute(step.execution_options(synchronize_session=False))
            await self.session.execute(sent)
        for name, value in values.items():
            setattr(d, name, value)

    async def record_delivery(self, d: BoletoDelivery, *, release: bool = False, **values: Any) -> None:
        """One UPDATE for one step of one delivery; `release` gives the lease back."""
        if release:
            values["locked_until"] = values["locked_by"] = None
        await self.session.execute(
            update(BoletoDelivery)
            .where(BoletoDelivery.id == d.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        for name, value in values.items():
            setattr(d, name, value)
