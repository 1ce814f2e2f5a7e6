"""Every statement on the policies table (and the audit entries about it)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.operators.models import AuditEntry
from certobot.policies.models import PolicyRow
from certobot.policies.rules import NegotiationPolicy

AUDIT_ACTION = "policy_update"


def _pct(bp: int) -> Decimal:
    return (Decimal(bp) / 100).quantize(Decimal("0.01"))


def _bp(pct: Decimal) -> int:
    return int(pct * 100)


def to_policy(r: PolicyRow) -> NegotiationPolicy:
    return NegotiationPolicy(
        id=r.id,
        version=r.version,
        creditor=r.creditor,
        segment=r.segment,
        days_min=r.days_min,
        days_max=r.days_max,
        amount_min_cents=r.amount_min_cents,
        amount_max_cents=r.amount_max_cents,
        max_discount_cash_pct=_pct(r.max_discount_cash_bp),
        max_discount_installments_pct=None
        if r.max_discount_installments_bp is None
        else _pct(r.max_discount_installments_bp),
        min_installment_cents=r.min_installment_cents,
        max_installments=r.max_installments,
        down_payment_required=r.down_payment_required,
        down_payment_min_pct=_pct(r.down_payment_min_bp),
        down_payment_min_cents=r.down_payment_min_cents,
        first_due_min_days=r.first_due_min_days,
        first_due_default_days=r.first_due_default_days,
        first_due_max_days=r.first_due_max_days,
    )


def fill(r: PolicyRow, p: NegotiationPolicy) -> None:
    r.creditor, r.segment = p.creditor, p.segment
    r.days_min, r.days_max = p.days_min, p.days_max
    r.amount_min_cents, r.amount_max_cents = p.amount_min_cents, p.amount_max_cents
    r.max_discount_cash_bp = _bp(p.max_discount_cash_pct)
    inst = p.max_discount_installments_pct
    r.max_discount_installments_bp = None if inst is None else _bp(inst)
    r.min_installment_cents, r.max_installments = p.min_installment_cents, p.max_installments
    r.down_payment_required = p.down_payment_required
    r.down_payment_min_bp, r.down_payment_min_cents = _bp(p.down_payment_min_pct), p.down_payment_min_cents
    r.first_due_min_days = p.first_due_min_days
    r.first_due_default_days = p.first_due_default_days
    r.first_due_max_days = p.first_due_max_days


async def all_rows(db: AsyncSession) -> Sequence[PolicyRow]:
    return (await db.scalars(select(PolicyRow).order_by(PolicyRow.creditor, PolicyRow.segment))).all()


async def by_id(db: AsyncSession, policy_id: int) -> PolicyRow | None:
    return await db.get(PolicyRow, policy_id)


async def for_update(db: AsyncSession, creditor: str, segment: str) -> PolicyRow | None:
    """The row of this creditor and segment, locked until the edit commits (two admins: one waits)."""
    stmt = select(PolicyRow).where(PolicyRow.creditor == creditor, PolicyRow.segment == segment).with_for_update()
    return (await db.scalars(stmt)).first()


async def history(db: AsyncSession, limit: int) -> Sequence[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.action == AUDIT_ACTION)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return (await db.scalars(stmt)).all()
