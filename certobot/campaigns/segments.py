"""Segments: which debtors of the portfolio (or of a validated file) a campaign talks to.

Everything here is pure (a debtor and the clock in, a verdict out) so the preview, the creation
and every run of a recurring campaign decide the same way. The CRM filters what it can (days past
due, amount); creditor, state and last contact are read here from the debtor the CRM returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from certobot.campaigns.ddd import DDD_UF
from certobot.campaigns.schemas import Segment
from certobot.crm.schemas import DebtorInfo
from certokit.clock import SAO_PAULO
from certokit.phones import digits_only

SkipReason = Literal["agreement", "opted_out", "promise", "recent_contact", "not_collectable"]
SKIP_LABELS: dict[str, str] = {
    "agreement": "Já têm acordo",
    "opted_out": "Pediram para não ser contatados",
    "promise": "Promessa de pagamento em vigor",
    "recent_contact": "Contatados há pouco",
    "not_collectable": "Dívida paga, prescrita ou contestada",
    "already_queued": "Ainda na fila da execução anterior",
}


def ddd_of(phone: str) -> int | None:
    """The area code of a Brazilian number, with or without +55."""
    digits = digits_only(phone)
    if digits.startswith("55") and len(digits) in (12, 13):
        digits = digits[2:]
    if len(digits) not in (10, 11):
        return None
    ddd = int(digits[:2])
    return ddd if ddd in DDD_UF else None


def uf_of(phone: str) -> str | None:
    ddd = ddd_of(phone)
    return DDD_UF[ddd] if ddd is not None else None


def matches(debtor: DebtorInfo, seg: Segment, now: datetime) -> bool:
    """Whether the debtor is in the segment (who they are), regardless of whether they may be contacted now."""
    if seg.min_days_past_due is not None and debtor.days_past_due < seg.min_days_past_due:
        return False
    if seg.max_days_past_due is not None and debtor.days_past_due > seg.max_days_past_due:
        return False
    cents = int(debtor.debt_amount * 100)
    if seg.min_amount_cents is not None and cents < seg.min_amount_cents:
        return False
    if seg.max_amount_cents is not None and cents > seg.max_amount_cents:
        return False
    if seg.creditor and debtor.original_creditor.casefold() != seg.creditor.casefold():
        return False
    if seg.ufs or seg.ddds:
        ddd = ddd_of(debtor.phone)
        if ddd is None or not (ddd in seg.ddds or DDD_UF[ddd] in seg.ufs):
            return False
    if seg.last_contact == "never" and debtor.last_contact_at is not None:
        return False
    if seg.last_contact == "older_than" and debtor.last_contact_at is not None:
        assert seg.last_contact_days is not None  # the schema requires it with older_than
        if now - debtor.last_contact_at < timedelta(days=seg.last_contact_days):
            return False
    return True


def skip_reason(debtor: DebtorInfo, now: datetime, recent_hours: int) -> SkipReason | None:
    """Why a debtor of the segment is left out of this run (the send would be refused anyway)."""
    if debtor.opted_out:
        return "opted_out"
    if debtor.debt_status == "agreed":
        return "agreement"
    if debtor.prescribed or debtor.debt_status in ("paid", "disputed", "deceased"):
        return "not_collectable"
    today = now.astimezone(SAO_PAULO).date()
    if debtor.promised_payment_date is not None and debtor.promised_payment_date >= today:
        return "promise"
    if debtor.follow_up_date is not None and debtor.follow_up_date > today:
        return "promise"  # "depois eu vejo": the day the bot promised to come back has not come
    if (
        recent_hours
        and debtor.last_contact_at is not None
        and now - debtor.last_contact_at < timedelta(hours=recent_hours)
    ):
        return "recent_contact"
    return None


@dataclass
class Selection:
    """A segment evaluated: who will be contacted, and how many were left out and why."""

    chosen: list[DebtorInfo] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def select(debtors: list[DebtorInfo], seg: Segment, now: datetime, recent_hours: int) -> Selection:
    out = Selection()
    seen: set[str] = set()
    for d in debtors:
        if d.cpf in seen or not matches(d, seg, now):
            continue
        seen.add(d.cpf)
        reason = skip_reason(d, now, recent_hours)
        if reason is None:
            out.chosen.append(d)
        else:
            out.skip(reason)
    return out
