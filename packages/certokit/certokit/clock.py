"""Dates and the clock. The clock is a dependency: production reads the system time, tests set it.

Anything that decides by the time of day (contact hours, campaign pacing, due dates) asks the
clock it was handed, so a test can put "now" on a Monday morning of its choosing instead of
hard-coding a date that will one day be in the past.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# Brazilian business dates (due dates, contact hours) are read on São Paulo's calendar.
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def today_sp(now: datetime | None = None) -> date:
    """The date in São Paulo at `now` (default: the system time)."""
    return (now or datetime.now(UTC)).astimezone(SAO_PAULO).date()


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until moved; for tests and simulations."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, delta: timedelta) -> None:
        self.at += delta
