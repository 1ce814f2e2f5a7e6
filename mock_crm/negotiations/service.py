"""Negotiation results: stored once per session, whole, and their boletos issued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from certokit.db import utcnow
from certokit.errors import Conflict, DomainError, NotFound
from certokit.money import to_cents
from mock_crm.boletos.schemas import BoletoOut, PaymentAgreement
from mock_crm.boletos.service import BoletoService, agreement_key
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.debtors.service import DebtorNotFound
from mock_crm.negotiations.models import NegotiationResult
from mock_crm.negotiations.repository import NegotiationRepository
from mock_crm.negotiations.schemas import BoletoRef, ConversationOutcome, StoredOutcome


class OutcomeNotFound(NotFound):
    detail = "Nenhum resultado de negociação para esta sessão."


class OutcomeAnonymised(DomainError):
    status_code = 410
    detail = "O titular deste resultado pediu a eliminação dos dados (LGPD): ele não é mais exibido."


class AgreementAlreadyPaid(Conflict):
    detail = "O acordo já tem parcela paga e não pode ser cancelado ou substituído; fale com a equipe."


class NegotiationService:
    def __init__(self, repo: NegotiationRepository, debtors: DebtorRepository, boletos: BoletoService) -> None:
        self.repo = repo
        self.debtors = debtors
        self.boletos = boletos

    async def record(self, outcome: ConversationOutcome) -> tuple[StoredOutcome, bool]:
        """Store the outcome; the same `session_id` again returns the stored record (created=False)."""
        existing = await self.repo.by_session(outcome.session_id)
        if existing is not None:
            return await self.view(existing), False
        debtor = await self.debtors.by_cpf(outcome.debtor_cpf)
        if debtor is None:
            raise DebtorNotFound()
        agreement = agreement_of(outcome)
        payload = outcome.model_dump(mode="json")
        if agreement is not None:
            # One reference for the whole agreement (each boleto is listed under `boletos`): known
            # before the boletos are, so the row is written whole, not inserted and then updated.
            payload["payment_slip_reference"] = agreement_key(agreement)
        created_at = utcnow()
        inserted = await self.repo.insert_once(
            session_id=outcome.session_id,
            debtor_id=debtor.id,
            outcome=outcome.outcome,
            agreed_amount_cents=to_cents(outcome.agreed_amount) if outcome.agreed_amount is not None else None,
            discount_cents=to_cents(outcome.discount_amount) if outcome.discount_amount is not None else None,
            installments=outcome.installments,
            payment_date=outcome.payment_date,
            payment_method=outcome.payment_method,
            payment_slip_reference=payload["payment_slip_reference"],
            qualitative_notes=outcome.qualitative_notes,
            interaction_timestamp=outcome.interaction_timestamp,
            payload=payload,
            created_at=created_at,
        )
        if not inserted:
            # A concurrent POST of the same session won the insert: answer with its record.
            winner = await self.repo.by_session(outcome.session_id)
            if winner is None:  # pragma: no cover - the conflict was on this session_id
                raise OutcomeNotFound()
            return await self.view(winner), False
        if outcome.replaces_session_id:
            # A renegotiation: the old agreement and its boletos give way to this one.
            await self.cancel(outcome.replaces_session_id, reason="renegotiated")
        if agreement is None:
            return await self._stored(payload, created_at, await self.boletos_of(outcome.session_id)), True
        # The boletos are born with the outcome, in its transaction: both or neither.
        batch, _ = await self.boletos.issue(agreement, debtor)
        refs = [_ref(b) for b in batch.boletos]
        return await self._stored(payload, created_at, refs), True

    async def cancel(self, session_id: str, *, reason: str = "agreement_cancelled") -> StoredOutcome:
        """Cancel an agreement before its first payment: its boletos stop being valid and are not sent.

        Cancelling again answers with the cancelled record.
        """
        row = await self.repo.by_session(session_id)
        if row is None:
            raise OutcomeNotFound()
        if row.payload.get("cancelled_at"):
            return await self.view(row)
        boletos = await self.boletos.repo.by_session(session_id)
        if any(b.status == "paid" for b in boletos):
            raise AgreementAlreadyPaid()
        for b in boletos:
            b.status = "cancelled"
        deliveries = await self.boletos.repo.deliveries_of([b.id for b in boletos])
        for d in deliveries.values():
            if d.status == "pending":
                d.status = "cancelled"
        row.payload = {**row.payload, "cancelled_at": utcnow().isoformat(), "cancel_reason": reason}
        await self.repo.session.flush()
        return await self.view(row)

    async def get(self, session_id: str) -> StoredOutcome:
        row = await self.repo.by_session(session_id)
        if row is None:
            raise OutcomeNotFound()
        return await self.view(row)

    async def view(self, row: NegotiationResult) -> StoredOutcome:
        return await self._stored(row.payload, row.created_at, await self.boletos_of(row.session_id))

    async def _stored(self, payload: dict[str, Any], created_at: datetime, refs: list[BoletoRef]) -> StoredOutcome:
        if "debtor_cpf" not in payload:  # anonymised (mock_crm.privacy): kept for totals, not shown
            raise OutcomeAnonymised()
        return StoredOutcome.model_validate({**payload, "boletos": refs, "created_at": created_at})

    async def boletos_of(self, session_id: str) -> list[BoletoRef]:
        rows = await self.boletos.repo.by_session(session_id)
        return [_ref(b) for b in await self.boletos.out(rows)]


def _ref(b: BoletoOut) -> BoletoRef:
    """A boleto as an outcome lists it."""
    return BoletoRef(
        boleto_id=b.boleto_id,
        installment=b.installment,
        installments=b.installments,
        amount=b.amount,
        due_date=b.due_date,
        status=b.status,
        pdf_url=b.pdf_url,
    )


def agreement_of(outcome: ConversationOutcome) -> PaymentAgreement | None:
    """The agreement a successful (or partially successful) outcome carries, if it carries one."""
    if outcome.outcome not in ("successful", "partially_successful") or outcome.agreed_amount is None:
        return None
    if not outcome.installments or outcome.payment_date is None:
        return None
    return PaymentAgreement(
        debtor_cpf=outcome.debtor_cpf,
        total_amount=outcome.agreed_amount,
        installments=outcome.installments,
        first_due_date=outcome.payment_date,
        payment_method=outcome.payment_method or "boleto",
        session_id=outcome.session_id,
        scheduled_payment_dates=outcome.scheduled_payment_dates or None,
        down_payment_amount=outcome.down_payment_amount,
    )
