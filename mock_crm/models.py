"""Every table of the CRM, imported once so that Alembic and tests see the whole metadata."""

from mock_crm.agreements.models import Agreement
from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.debtors.models import ContactLog, Debt, Debtor
from mock_crm.idempotency import IdempotencyKey
from mock_crm.negotiations.models import NegotiationResult
from mock_crm.payments.models import Payment, PaymentNotification
from mock_crm.throttle import AuthFailure

__all__ = [
    "Agreement",
    "AuthFailure",
    "Boleto",
    "BoletoDelivery",
    "ContactLog",
    "Debt",
    "Debtor",
    "IdempotencyKey",
    "NegotiationResult",
    "Payment",
    "PaymentNotification",
]
