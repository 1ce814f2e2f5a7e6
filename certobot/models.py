"""Every table of the bot, imported once so that Alembic and tests see the whole metadata."""

from certobot.campaigns.models import Campaign, CampaignItem, CampaignRun
from certobot.inbox.models import InboxCard
from certobot.lifecycle.models import AgreementReminder, PaymentNotice
from certobot.negotiation.models import Conversation, Outbox, ValidationAttempt
from certobot.operators.models import AuditEntry, OperatorUser
from certobot.policies.models import PolicyRow
from certobot.review.models import ReviewLabel, Switch
from certobot.security.models import BlockedPhone, IdentityFailure, IdentityLock
from certobot.templates.models import TemplateVersion
from certobot.whatsapp.models import InboundEvent, Message, StatusEvent

__all__ = [
    "AgreementReminder",
    "AuditEntry",
    "BlockedPhone",
    "Campaign",
    "CampaignItem",
    "CampaignRun",
    "Conversation",
    "IdentityFailure",
    "IdentityLock",
    "InboundEvent",
    "InboxCard",
    "Message",
    "OperatorUser",
    "Outbox",
    "PaymentNotice",
    "PolicyRow",
    "ReviewLabel",
    "StatusEvent",
    "Switch",
    "TemplateVersion",
    "ValidationAttempt",
]
