"""Counters of the agreement's life (registered in prometheus_client's default registry: /metrics)."""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import Counter

PROMISES_MADE = Counter("certobot_promises_made_total", "Acordos fechados (promessas de pagamento)")
AGREED_CENTS = Counter("certobot_amount_agreed_cents_total", "Valor acordado, em centavos")
PROMISES_KEPT = Counter("certobot_promises_kept_total", "Acordos quitados")
RECOVERED_CENTS = Counter("certobot_amount_recovered_cents_total", "Valor recebido e abatido, em centavos")
PAYMENTS = Counter("certobot_payments_received_total", "Pagamentos informados pelo CRM", ["outcome"])
BROKEN = Counter("certobot_agreements_broken_total", "Acordos rompidos (prazo de tolerância vencido)")
REMINDERS = Counter("certobot_agreement_messages_total", "Lembretes e acompanhamentos enviados", ["kind"])


def count_promise(outcome: str, agreed_amount: Decimal | None, installments: int | None) -> None:
    """A delivered outcome that carries an agreement is a promise made (CRM outbox calls this)."""
    if outcome in ("successful", "partially_successful") and agreed_amount is not None and installments:
        PROMISES_MADE.inc()
        AGREED_CENTS.inc(int(agreed_amount * 100))
