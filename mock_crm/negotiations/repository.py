from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_crm.negotiations.models import NegotiationResult


class NegotiationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_session(self, session_id: str) -> NegotiationResult | None:
        return await self.session.scalar(select(NegotiationResult).where(NegotiationResult.session_id == session_id))

    async def add(self, result: NegotiationResult) -> NegotiationResult:
        self.session.add(result)
        await self.session.flush()
        return result
