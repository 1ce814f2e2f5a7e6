"""When an outbox row is tried again: exponential backoff, capped. Both services' outboxes use it."""

from __future__ import annotations

from datetime import timedelta


def backoff(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> timedelta:
    """The wait before attempt `attempts + 1`: base, 2·base, 4·base… never more than `cap` seconds."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))
