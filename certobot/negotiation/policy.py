"""The policy engine: every amount the debtor may read is computed and checked here, by plain code.

From the debt and the creditor's limits (maximum discount, smallest installment, most installments)
it builds offers: cash with a discount that grows step by step up to the maximum, and installment
plans. `check` is the gate any proposal (including one a language model suggests) must pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from pydantic import BaseModel

from certobot.policies.rules import DEFAULT_POLICY, NegotiationPolicy
from certokit.clock import add_months
from certokit.money import brl, split_installments, to_cents

# Share of the maximum discount offered at each step: the first offer keeps room to move.
STEP_SHARES = (Decimal("0.4"), Decimal("0.7"), Decimal("1.0"))
# A down payment (entrada) is a share of the plan's total: enough to be worth a plan of its own
# shape (the policy's minimum, 10 % by default), not so much that it is a cash payment in disguise
# (that is what the cash offer is for).
DOWN_PAYMENT_MAX_SHARE = Decimal("0.60")


@dataclass(frozen=True)
class DebtTerms:
    """The limits for one debt: the CRM's record of the debtor combined with the creditor's policy.

    The defaults of the policy fields are today's rules (certobot.policies.rules.DEFAULT_POLICY).
    """

    amount_cents: int
    max_discount_pct: Decimal
    min_installment_cents: int
    max_installments: int
    days_past_due: int = 0
    # None: installments keep half the cash discount.
    max_installment_discount_pct: Decimal | None = None
    down_payment_required: bool = False
    down_payment_min_pct: Decimal = DEFAULT_POLICY.down_payment_min_pct
    down_payment_min_cents: int = 0
    first_due_min_days: int = DEFAULT_POLICY.first_due_min_days
    first_due_default_days: int = DEFAULT_POLICY.first_due_default_days
    first_due_max_days: int = DEFAULT_POLICY.first_due_max_days

    @classmethod
    def from_debtor(cls, debtor: Mapping[str, Any], policy: NegotiationPolicy = DEFAULT_POLICY) -> DebtTerms:
        """The stricter of the two always applies: the CRM's per-debtor limits (`negotiation_params`:
        maximum discount, smallest installment, most installments) and the creditor's policy for the
        debt's segment. A policy can tighten what the CRM allows for a debtor, never loosen it, and a
        CRM record can tighten the policy, never loosen it."""
        p = debtor["negotiation_params"]
        cash_pct = min(Decimal(str(p["max_discount_percentage"])), policy.max_discount_cash_pct)
        inst_pct = policy.max_discount_installments_pct
        return cls(
            amount_cents=to_cents(Decimal(str(debtor["debt_amount"]))),
            max_discount_pct=cash_pct,
            min_installment_cents=max(to_cents(Decimal(str(p["min_payment_amount"]))), policy.min_installment_cents),
            max_installments=min(int(p["max_installments"]), policy.max_installments),
            days_past_due=int(debtor.get("days_past_due", 0)),
            max_installment_discount_pct=None if inst_pct is None else min(inst_pct, cash_pct),
            down_payment_required=policy.down_payment_required,
            down_payment_min_pct=policy.down_payment_min_pct,
            down_payment_min_cents=policy.down_payment_min_cents,
            first_due_min_days=policy.first_due_min_days,
            first_due_default_days=policy.first_due_default_days,
            first_due_max_days=policy.first_due_max_days,
        )

    @property
    def max_discount_cents(self) -> int:
        return int((Decimal(self.amount_cents) * self.max_discount_pct / 100).to_integral_value(ROUND_DOWN))


class Offer(BaseModel):
    id: str
    kind: Literal["cash", "installments"]
    total_cents: int
    discount_cents: int
    installments: int
    installment_amounts_cents: list[int]
    due_dates: list[date]
    down_payment_cents: int = 0  # the first amount, when the debtor pays an entrada and the rest in installments

    def terms_key(self) -> tuple[object, ...]:
        """What the debtor agrees to: two offers with the same key are the same deal."""
        return (
            self.kind,
            self.total_cents,
            self.discount_cents,
            tuple(self.installment_amounts_cents),
            tuple(self.due_dates),
            self.down_payment_cents,
        )

    def describe(self) -> str:
        first = self.due_dates[0].strftime("%d/%m/%Y")
        if self.down_payment_cents:
            rest = self.installment_amounts_cents[1:]
            parts = (
                f"{len(rest)}x de {brl(rest[0])}"
                if len(set(rest)) == 1
                else (f"{len(rest)}x (a 1ª de {brl(rest[0])} e as demais de {brl(rest[-1])})")
            )
            off = f", já com {brl(self.discount_cents)} de desconto" if self.discount_cents else ""
            return (
                f"entrada de {brl(self.down_payment_cents)} em {first} e mais {parts} "
                f"(total de {brl(self.total_cents)}{off}), a partir de {self.due_dates[1]:%d/%m/%Y}"
            )
        if self.kind == "cash":
            off = f" (desconto de {brl(self.discount_cents)})" if self.discount_cents else ""
            return f"{brl(self.total_cents)} à vista{off}, com vencimento em {first}"
        amounts = self.installment_amounts_cents
        if len(set(amounts)) == 1:
            parts = f"{self.installments}x de {brl(amounts[0])}"
        else:
            parts = f"{self.installments}x de {brl(amounts[1])} (a 1ª de {brl(amounts[0])})"
        off = f", já com {brl(self.discount_cents)} de desconto" if self.discount_cents else ""
        return f"{parts}, total de {brl(self.total_cents)}{off}, 1ª parcela em {first}"


class PolicyEngine:
    def __init__(self, terms: DebtTerms, today: date) -> None:
        self.terms = terms
        self.today = today

    @property
    def max_step(self) -> int:
        return len(STEP_SHARES) - 1

    def discount_at(self, step: int) -> int:
        share = STEP_SHARES[max(0, min(step, self.max_step))]
        return int((Decimal(self.terms.max_discount_cents) * share).to_integral_value(ROUND_DOWN))

    def plan_discount_at(self, step: int) -> int:
        """The discount an installment plan gets at this step: the policy's own maximum, or half the cash one."""
        pct = self.terms.max_installment_discount_pct
        if pct is None:
            return self.discount_at(step) // 2
        top = int((Decimal(self.terms.amount_cents) * pct / 100).to_integral_value(ROUND_DOWN))
        share = STEP_SHARES[max(0, min(step, self.max_step))]
        return min(int((Decimal(top) * share).to_integral_value(ROUND_DOWN)), self.discount_at(step))

    @property
    def earliest_due(self) -> date:
        return self.today + timedelta(days=self.terms.first_due_min_days)

    @property
    def latest_due(self) -> date:
        return self.today + timedelta(days=self.terms.first_due_max_days)

    def first_due(self, wanted: date | None) -> date:
        if wanted is None:
            return self.today + timedelta(days=self.terms.first_due_default_days)
        return min(max(wanted, self.earliest_due), self.latest_due)

    def cash_offer(self, step: int = 0, first_due: date | None = None) -> Offer:
        discount = self.discount_at(step)
        total = self.terms.amount_cents - discount
        due = self.first_due(first_due)
        return Offer(
            id=f"cash-{step}",
            kind="cash",
            total_cents=total,
            discount_cents=discount,
            installments=1,
            installment_amounts_cents=[total],
            due_dates=[due],
        )

    def rescheduled(self, offer: Offer, first_due: date | None) -> Offer:
        """The same amounts from another first due date (kept within the allowed window)."""
        due0 = self.first_due(first_due)
        return offer.model_copy(update={"due_dates": [add_months(due0, i) for i in range(offer.installments)]})

    def min_cash_cents(self) -> int:
        """The least the debtor may pay at once: the debt less the maximum discount."""
        return self.terms.amount_cents - self.discount_at(self.max_step)

    def cash_offer_for(self, wanted_total_cents: int, first_due: date | None = None) -> Offer:
        """The cash offer nearest to a total the debtor proposed: theirs when the limits allow it."""
        total = min(self.terms.amount_cents, max(wanted_total_cents, self.min_cash_cents()))
        return Offer(
            id=f"cash-for-{total}",
            kind="cash",
            total_cents=total,
            discount_cents=self.terms.amount_cents - total,
            installments=1,
            installment_amounts_cents=[total],
            due_dates=[self.first_due(first_due)],
        )

    def down_payment_bounds(self, step: int = 0) -> tuple[int, int]:
        """(least, most) entrada for a plan at this step, in cents."""
        t = self.terms
        total = t.amount_cents - self.plan_discount_at(step)
        by_share = int(Decimal(total) * t.down_payment_min_pct / 100)
        least = max(t.min_installment_cents, t.down_payment_min_cents, by_share)
        most = int(Decimal(total) * DOWN_PAYMENT_MAX_SHARE)
        return least, most

    def down_payment_offer(
        self, down_cents: int, count: int | None = None, step: int = 0, first_due: date | None = None
    ) -> Offer | None:
        """Entrada plus the rest in monthly installments, nearest to what was asked; None if no such plan fits.

        `count` is the number of installments after the entrada.
        """
        discount = self.plan_discount_at(step)
        total = self.terms.amount_cents - discount
        least, most = self.down_payment_bounds(step)
        if least > most:
            return None
        down = min(max(down_cents, least), most)
        rest = total - down
        most_rest = min(self.terms.max_installments - 1, rest // max(1, self.terms.min_installment_cents))
        if most_rest < 1:
            return None
        n = max(1, min(count or most_rest, most_rest))
        due0 = self.first_due(first_due)
        return Offer(
            id=f"down-{down}-{n}-{step}",
            kind="installments",
            total_cents=total,
            discount_cents=discount,
            installments=n + 1,
            installment_amounts_cents=[down, *split_installments(rest, n)],
            due_dates=[add_months(due0, i) for i in range(n + 1)],
            down_payment_cents=down,
        )

    def max_installments_for(self, total_cents: int) -> int:
        if self.terms.min_installment_cents <= 0:
            return self.terms.max_installments
        return max(1, min(self.terms.max_installments, total_cents // self.terms.min_installment_cents))

    def installment_offer(
        self,
        count: int | None = None,
        monthly_budget_cents: int | None = None,
        step: int = 0,
        first_due: date | None = None,
    ) -> Offer | None:
        """The plan closest to what the debtor asked that the limits allow; None if no plan of 2+ fits."""
        if self.terms.down_payment_required:
            # The creditor's policy wants an entrada in every plan: the least one, the rest in installments.
            if count is None and monthly_budget_cents:
                least = self.down_payment_bounds(step)[0]
                rest = self.terms.amount_cents - self.plan_discount_at(step) - least
                count = 1 + -(-rest // max(1, monthly_budget_cents))
            rest_count = None if count is None else max(1, count - 1)
            return self.down_payment_offer(0, rest_count, step, first_due)
        # Installments keep less than the cash discount: paying over time costs the creditor more.
        discount = self.plan_discount_at(step)
        total = self.terms.amount_cents - discount
        # The discount is a concession, not a condition: a count the discounted total cannot carry at
        # the smallest installment (R$ 600 less a discount is R$ 588, 11x at R$ 50) may still fit with
        # less of it (12x of R$ 50). The bound is the debt's; the discount gives way.
        most = self.max_installments_for(self.terms.amount_cents)
        if most < 2:
            return None
        if count is None and monthly_budget_cents:
            count = -(-total // max(1, monthly_budget_cents))  # ceil: the fewest months within budget
        n = max(2, min(count or self.max_installments_for(total), most))
        if n * self.terms.min_installment_cents > total:
            total = n * self.terms.min_installment_cents  # <= the debt, since n <= debt // min installment
            discount = self.terms.amount_cents - total
        amounts = split_installments(total, n)
        due0 = self.first_due(first_due)
        return Offer(
            id=f"inst-{n}-{step}",
            kind="installments",
            total_cents=total,
            discount_cents=discount,
            installments=n,
            installment_amounts_cents=amounts,
            due_dates=[add_months(due0, i) for i in range(n)],
        )

    def check(self, offer: Offer, *, dates: bool = True) -> list[str]:
        """Empty when the offer respects every limit; otherwise the reasons, in Portuguese.

        `dates=False` checks only the amounts and the count: for an offer about to be rescheduled anyway.
        """
        t = self.terms
        reasons: list[str] = []
        if offer.discount_cents < 0 or offer.discount_cents > t.max_discount_cents:
            reasons.append(f"desconto acima do máximo permitido ({brl(t.max_discount_cents)})")
        if offer.total_cents != t.amount_cents - offer.discount_cents:
            reasons.append("total diferente de valor da dívida menos desconto")
        if offer.total_cents <= 0:
            reasons.append("total precisa ser positivo")
        if not 1 <= offer.installments <= t.max_installments:
            reasons.append(f"no máximo {t.max_installments} parcelas")
        if len(offer.installment_amounts_cents) != offer.installments or len(offer.due_dates) != offer.installments:
            reasons.append("parcelas e vencimentos não batem com a quantidade")
        if sum(offer.installment_amounts_cents) != offer.total_cents:
            reasons.append("a soma das parcelas precisa dar o total, centavo por centavo")
        if offer.installments > 1 and min(offer.installment_amounts_cents, default=0) < t.min_installment_cents:
            reasons.append(f"parcela mínima de {brl(t.min_installment_cents)}")
        if offer.installments > 1 and offer.discount_cents > self.plan_discount_at(self.max_step):
            reasons.append(f"desconto no parcelado de no máximo {brl(self.plan_discount_at(self.max_step))}")
        if offer.installments > 1 and t.down_payment_required and not offer.down_payment_cents:
            reasons.append("o credor exige entrada no parcelamento")
        if offer.down_payment_cents:
            least, most = self.down_payment_bounds(self.max_step)
            if offer.installment_amounts_cents[:1] != [offer.down_payment_cents] or offer.installments < 2:
                reasons.append("a entrada é a primeira parcela de um parcelamento")
            elif not least <= offer.down_payment_cents <= max(most, self.down_payment_bounds(0)[1]):
                reasons.append(f"entrada entre {brl(least)} e {brl(most)}")
        if offer.due_dates and dates:
            if not self.earliest_due <= offer.due_dates[0] <= self.latest_due:
                reasons.append(f"1º vencimento entre {t.first_due_min_days} e {t.first_due_max_days} dias")
            for i, d in enumerate(offer.due_dates):
                if d != add_months(offer.due_dates[0], i):
                    reasons.append("vencimentos precisam ser mensais")
                    break
        return reasons
