from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from certokit.db import dialect_of
from mock_crm.boletos.models import Boleto, BoletoDelivery


class BoletoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_agreement(self, key: str) -> Sequence[Boleto]:
        rows = await self.session.scalars(
            select(Boleto).where(Boleto.agreement_key == key).order_by(Boleto.installment)
        )
        return rows.all()

    async def by_session(self, session_id: str) -> Sequence[Boleto]:
        rows = await self.session.scalars(
            select(Boleto).where(Boleto.session_id == session_id).order_by(Boleto.installment)
        )
        return rows.all()

    async def get(self, boleto_id: str) -> Boleto | None:
        return await self.session.get(Boleto, boleto_id)

    async def nosso_numero_taken(self, nn: str) -> bool:
        return await self.session.scalar(select(Boleto.id).where(Boleto.nosso_numero == nn)) is not None

    async def deliveries_of(self, ids: Sequence[str]) -> dict[str, BoletoDelivery]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(BoletoDelivery).where(BoletoDelivery.boleto_id.in_(ids)))
        return {d.boleto_id: d for d in rows}

    async def due_deliveries(self, now: datetime, limit: int) -> Sequence[BoletoDelivery]:
        stmt: Select[Any] = (
            select(BoletoDelivery)
            .where(BoletoDelivery.status == "pending", BoletoDelivery.next_attempt_at <= now)
            .order_by(BoletoDelivery.id)
            .limit(limit)
        )
        if dialect_of(self.session) == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return (await self.session.scalars(stmt)).all()
