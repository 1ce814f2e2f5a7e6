"""Every table of the bot, imported once so that Alembic and tests see the whole metadata."""

from certobot.campaigns.models import Campaign, CampaignItem
from certobot.negotiation.models import Conversation, Outbox, ValidationAttempt
from certobot.whatsapp.models import InboundEvent, Message, StatusEvent

__all__ = [
    "Campaign",
    "CampaignItem",
    "Conversation",
    "InboundEvent",
    "Message",
    "Outbox",
    "StatusEvent",
    "ValidationAttempt",
]
