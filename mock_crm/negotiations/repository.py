from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certokit.db import dialect_of
from mock_crm.negotiations.models import NegotiationResult

_BY_SESSION = select(NegotiationResult).where(NegotiationResult.session_id == bindparam("session_id"))


class NegotiationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_session(self, session_id: str) -> NegotiationResult | None:
        return await self.session.scalar(_BY_SESSION, {"session_id": session_id})  # built once, bound here

    async def add(self, result: NegotiationResult) -> NegotiationResult:
        self.session.add(result)
        await self.session.flush()
        return result

    async def insert_once(self, **values: Any) -> bool:
        """Insert a result unless its session_id is already stored: one statement, no savepoint.

        False when another POST of the same session got there first (committed, or committing: Postgres
        waits for it); the caller then reads the winner's record."""
        insert = pg_insert if dialect_of(self.session) == "postgresql" else sqlite_insert
        stmt = (
            insert(NegotiationResult)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["session_id"])
            .returning(NegotiationResult.id)
        )
        return (await self.session.execute(stmt)).first() is not None
