"""Every table of the bot, imported once so that Alembic and tests see the whole metadata."""

from certobot.campaigns.models import Campaign, CampaignItem
from certobot.lifecycle.models import AgreementReminder, PaymentNotice
from certobot.negotiation.models import Conversation, Outbox, ValidationAttempt
from certobot.whatsapp.models import InboundEvent, Message, StatusEvent

__all__ = [
    "AgreementReminder",
    "Campaign",
    "CampaignItem",
    "Conversation",
    "InboundEvent",
    "Message",
    "Outbox",
    "PaymentNotice",
    "StatusEvent",
    "ValidationAttempt",
]
