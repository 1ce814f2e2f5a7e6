"""Negotiation results: stored once per session, whole, and their boletos issued."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from certokit.db import utcnow
from certokit.errors import Conflict, DomainError, NotFound
from certokit.money import to_cents
from mock_crm.boletos.schemas import PaymentAgreement
from mock_crm.boletos.service import BoletoService
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
        if outcome.replaces_session_id:
            # A renegotiation: the old agreement and its boletos give way to this one.
            await self.cancel(outcome.replaces_session_id, reason="renegotiated")
        agreement = agreement_of(outcome)
        if agreement is not None:
            # The boletos are born with the outcome, in its transaction: both or neither.
            batch, _ = await self.boletos.issue(agreement)
            # One reference for the whole agreement; each boleto is listed under `boletos`.
            row.payment_slip_reference = batch.agreement_key
            row.payload = {**row.payload, "payment_slip_reference": row.payment_slip_reference}
        return await self.view(row), True

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
        if "debtor_cpf" not in row.payload:  # anonymised (mock_crm.privacy): kept for totals, not shown
            raise OutcomeAnonymised()
        return StoredOutcome.model_validate(
            {**row.payload, "boletos": await self.boletos_of(row), "created_at": row.created_at}
        )

    async def boletos_of(self, row: NegotiationResult) -> list[BoletoRef]:
        rows = await self.boletos.repo.by_session(row.session_id)
        return [
            BoletoRef(
                boleto_id=b.boleto_id,
                installment=b.installment,
                installments=b.installments,
                amount=b.amount,
                due_date=b.due_date,
                status=b.status,
                pdf_url=b.pdf_url,
            )
            for b in await self.boletos.out(rows)
        ]


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
