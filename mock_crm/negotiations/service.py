"""Negotiation results: stored once per session, whole, and their boletos issued."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from certobot.errors import NotFound
from certobot.money import to_cents
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.debtors.service import DebtorNotFound
from mock_crm.negotiations.models import NegotiationResult
from mock_crm.negotiations.repository import NegotiationRepository
from mock_crm.negotiations.schemas import BoletoRef, ConversationOutcome, StoredOutcome


class OutcomeNotFound(NotFound):
    detail = "Nenhum resultado de negociação para esta sessão."


class NegotiationService:
    def __init__(self, repo: NegotiationRepository, debtors: DebtorRepository) -> None:
        self.repo = repo
        self.debtors = debtors

    async def record(self, outcome: ConversationOutcome) -> tuple[StoredOutcome, bool]:
        """Store the outcome; the same `session_id` again returns the stored record (created=False)."""
        existing = await self.repo.by_session(outcome.session_id)
        if existing is not None:
            return await self.view(existing), False
        debtor = await self.debtors.by_cpf(outcome.debtor_cpf)
        if debtor is None:
            raise DebtorNotFound()
        row = NegotiationResult(
            session_id=outcome.session_id,
            debtor_id=debtor.id,
            outcome=outcome.outcome,
            agreed_amount_cents=to_cents(outcome.agreed_amount) if outcome.agreed_amount is not None else None,
            discount_cents=to_cents(outcome.discount_amount) if outcome.discount_amount is not None else None,
            installments=outcome.installments,
            payment_date=outcome.payment_date,
            payment_method=outcome.payment_method,
            payment_slip_reference=outcome.payment_slip_reference,
            qualitative_notes=outcome.qualitative_notes,
            interaction_timestamp=outcome.interaction_timestamp,
            payload=outcome.model_dump(mode="json"),
        )
        try:
            async with self.repo.session.begin_nested():
                await self.repo.add(row)
        except IntegrityError:
            # A concurrent POST of the same session won the insert: answer with its record.
            winner = await self.repo.by_session(outcome.session_id)
            if winner is None:
                raise
            return await self.view(winner), False
        return await self.view(row), True

    async def get(self, session_id: str) -> StoredOutcome:
        row = await self.repo.by_session(session_id)
        if row is None:
            raise OutcomeNotFound()
        return await self.view(row)

    async def view(self, row: NegotiationResult) -> StoredOutcome:
        return StoredOutcome.model_validate(
            {**row.payload, "boletos": await self.boletos_of(row), "created_at": row.created_at}
        )

    async def boletos_of(self, row: NegotiationResult) -> list[BoletoRef]:
        return []
