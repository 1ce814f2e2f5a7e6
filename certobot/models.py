"""Every table of the bot, imported once so that Alembic and tests see the whole metadata."""

from certobot.campaigns.models import Campaign, CampaignItem
from certobot.inbox.models import InboxCard
from certobot.lifecycle.models import AgreementReminder, PaymentNotice
from certobot.negotiation.models import Conversation, Outbox, ValidationAttempt
from certobot.operators.models import AuditEntry, OperatorUser
from certobot.security.models import BlockedPhone, IdentityFailure, IdentityLock
from certobot.templates.models import TemplateVersion
from certobot.whatsapp.models import InboundEvent, Message, StatusEvent

__all__ = [
    "AgreementReminder",
    "AuditEntry",
    "BlockedPhone",
    "Campaign",
    "CampaignItem",
    "Conversation",
    "IdentityFailure",
    "IdentityLock",
    "InboundEvent",
    "InboxCard",
    "Message",
    "OperatorUser",
    "Outbox",
    "PaymentNotice",
    "StatusEvent",
    "TemplateVersion",
    "ValidationAttempt",
]
