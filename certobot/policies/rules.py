"""The creditor's negotiation policy as plain data: what it is, whether it is coherent, which one applies.

A policy belongs to a creditor (as the CRM names it in `original_creditor`, or `*` for every
creditor) and a segment: a named range of days past due and of debt amount. The segment `todos`
covers every debt. For a debt the most specific matching policy wins: one of its creditor's own
segments, then its creditor's `todos`, then a segment for every creditor, then the global `todos`,
and when nothing at all is stored, `DEFAULT_POLICY` — today's behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from certokit.money import brl

ALL_CREDITORS = "*"
ALL_DEBTS = "todos"
# The CRM never allows more than 72 installments (mock_crm NegotiationParams): a policy above it would
# promise what the debtor's record refuses.
MAX_INSTALLMENTS_LIMIT = 72
# A first due date more than 60 days out is a promise to pay, not an agreement; a boleto that far
# ahead also outlives the debtor's attention.
FIRST_DUE_LIMIT_DAYS = 60
# The entrada is at most this share of the plan (policy.DOWN_PAYMENT_MAX_SHARE): its minimum must fit below.
DOWN_PAYMENT_MAX_PCT = Decimal(60)


@dataclass(frozen=True)
class NegotiationPolicy:
    creditor: str = ALL_CREDITORS
    segment: str = ALL_DEBTS
    days_min: int = 0
    days_max: int | None = None  # inclusive; None: no upper bound
    amount_min_cents: int = 0
    amount_max_cents: int | None = None  # inclusive; None: no upper bound
    max_discount_cash_pct: Decimal = Decimal(100)
    # None: half the cash discount (the rule before policies were stored): paying over time costs the
    # creditor more, so it gives less.
    max_discount_installments_pct: Decimal | None = None
    min_installment_cents: int = 100
    max_installments: int = MAX_INSTALLMENTS_LIMIT
    down_payment_required: bool = False
    down_payment_min_pct: Decimal = Decimal(10)
    down_payment_min_cents: int = 0
    first_due_min_days: int = 1
    first_due_default_days: int = 3
    first_due_max_days: int = 30
    id: int | None = None
    version: int = 0

    def matches(self, creditor: str, days_past_due: int, amount_cents: int) -> bool:
        if self.creditor != ALL_CREDITORS and creditor_key(self.creditor) != creditor_key(creditor):
            return False
        if days_past_due < self.days_min or (self.days_max is not None and days_past_due > self.days_max):
            return False
        return amount_cents >= self.amount_min_cents and (
            self.amount_max_cents is None or amount_cents <= self.amount_max_cents
        )

    def rank(self) -> tuple[int, int, int, int]:
        """Higher is more specific: own creditor, then a named segment, then the narrowest ranges."""
        days_width = (self.days_max if self.days_max is not None else 10**6) - self.days_min
        amount_width = (self.amount_max_cents if self.amount_max_cents is not None else 10**12) - self.amount_min_cents
        return (
            int(self.creditor != ALL_CREDITORS),
            int(self.segment != ALL_DEBTS),
            -days_width,
            -amount_width,
        )


# Today's behaviour: the CRM's per-debtor limits alone decide (the policy allows everything they allow),
# installments keep half the discount, the entrada is 10 %–60 % of the plan, the first due date 1–30
# days ahead and 3 days unless the debtor asks.
DEFAULT_POLICY = NegotiationPolicy()


def creditor_key(name: str) -> str:
    """'Banco Aurora S.A.' and 'banco  aurora s.a. ' are one creditor: operators type names by hand."""
    return " ".join(name.split()).casefold()


def resolve(
    policies: Iterable[NegotiationPolicy], creditor: str, days_past_due: int, amount_cents: int
) -> NegotiationPolicy:
    """The most specific stored policy matching the debt, else the built-in default."""
    matching = [p for p in policies if p.matches(creditor, days_past_due, amount_cents)]
    if not matching:
        return DEFAULT_POLICY
    # Ties (two overlapping segments of the same width) go to the lowest id: stable across processes.
    return max(matching, key=lambda p: (p.rank(), -(p.id or 0)))


def problems(p: NegotiationPolicy) -> list[str]:
    """Empty when the policy is coherent; otherwise what is wrong, in Portuguese, for the admin."""
    out: list[str] = []
    if not p.creditor.strip():
        out.append("Informe o credor (ou * para todos).")
    if not p.segment.strip():
        out.append("Informe o segmento (ou todos).")
    if p.segment == ALL_DEBTS and (
        p.days_min != 0 or p.days_max is not None or p.amount_min_cents != 0 or p.amount_max_cents is not None
    ):
        out.append("O segmento 'todos' vale para qualquer dívida: deixe as faixas de atraso e de valor em branco.")
    if p.days_min < 0 or (p.days_max is not None and p.days_max < p.days_min):
        out.append("Faixa de atraso inválida: o mínimo de dias precisa ser 0 ou mais, e o máximo, maior ou igual.")
    if p.amount_min_cents < 0 or (p.amount_max_cents is not None and p.amount_max_cents < p.amount_min_cents):
        out.append("Faixa de valor inválida: o valor mínimo precisa ser 0 ou mais, e o máximo, maior ou igual.")
    if not Decimal(0) <= p.max_discount_cash_pct <= Decimal(100):
        out.append("O desconto máximo à vista precisa estar entre 0 % e 100 %.")
    inst = p.max_discount_installments_pct
    if inst is not None and not Decimal(0) <= inst <= p.max_discount_cash_pct:
        out.append("O desconto máximo no parcelado precisa estar entre 0 % e o desconto máximo à vista.")
    if p.min_installment_cents <= 0:
        out.append("A parcela mínima precisa ser maior que zero.")
    if not 1 <= p.max_installments <= MAX_INSTALLMENTS_LIMIT:
        out.append(f"O número máximo de parcelas precisa estar entre 1 e {MAX_INSTALLMENTS_LIMIT}.")
    if p.down_payment_required and p.max_installments < 2:
        out.append("Entrada obrigatória só faz sentido com 2 parcelas ou mais.")
    if not Decimal(0) <= p.down_payment_min_pct <= DOWN_PAYMENT_MAX_PCT:
        out.append(f"A entrada mínima precisa estar entre 0 % e {DOWN_PAYMENT_MAX_PCT} % do total.")
    if p.down_payment_min_cents < 0:
        out.append("A entrada mínima em reais não pode ser negativa.")
    if not 1 <= p.first_due_min_days <= p.first_due_default_days <= p.first_due_max_days <= FIRST_DUE_LIMIT_DAYS:
        out.append(
            "Janela do 1º vencimento inválida: precisa valer 1 ≤ mínimo ≤ padrão ≤ máximo ≤ "
            f"{FIRST_DUE_LIMIT_DAYS} dias (o primeiro vencimento nunca é hoje)."
        )
    return out


def summary(p: NegotiationPolicy) -> str:
    """One line an operator reads: what the policy lets the bot offer."""
    inst = "metade do à vista" if p.max_discount_installments_pct is None else f"{p.max_discount_installments_pct} %"
    down = "entrada obrigatória" if p.down_payment_required else "entrada opcional"
    return (
        f"à vista até {p.max_discount_cash_pct} % de desconto; parcelado até {p.max_installments}x "
        f"(desconto {inst}, parcela mínima {brl(p.min_installment_cents)}, {down}); "
        f"1º vencimento em {p.first_due_min_days}–{p.first_due_max_days} dias"
    )
