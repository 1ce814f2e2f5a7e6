"""When a recurring campaign runs next: a pure function of its rule, an instant and the contact hours.

The runner only asks "what is due now?"; how it wakes up to ask (polling, a NOTIFY) is its own
business, so this file knows nothing about it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from certobot.campaigns.schemas import Recurrence
from certobot.config import BotSettings
from certobot.conversations.contact_policy import within_contact_hours
from certokit.clock import SAO_PAULO

HORIZON_DAYS = 400  # past a year of holidays and weekdays, a rule that never fits never will


def next_run(rule: Recurrence, after: datetime, settings: BotSettings, *, inclusive: bool = False) -> datetime | None:
    """The first occurrence strictly after `after` (or at it, if `inclusive`) that falls inside the
    contact hours; a day off (holiday, a weekday without hours) is skipped, not moved. None if the
    rule never meets the contact hours."""
    local = after.astimezone(SAO_PAULO)
    day = local.date()
    if day.year > 9000:
        return None  # no calendar to walk that far (and no campaign waits eight thousand years)
    for _ in range(HORIZON_DAYS):
        if rule.every == "daily" or day.weekday() in rule.weekdays:
            # Built on the local calendar so that 10:00 stays 10:00 whatever the UTC offset that day.
            at = datetime.combine(day, rule.at, SAO_PAULO)
            if (at > after or (inclusive and at == after)) and within_contact_hours(at, settings):
                return at
        day += timedelta(days=1)
    return None


WEEKDAYS_PT = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")


def describe(rule: Recurrence) -> str:
    """'semanal (segunda e quinta) às 10:00', as the console shows it."""
    hour = rule.at.strftime("%H:%M")
    if rule.every == "daily":
        return f"diária às {hour}"
    names = [WEEKDAYS_PT[d] for d in rule.weekdays]
    days = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1]
    return f"semanal ({days}) às {hour}"
