"""Retrying: when an outbox row is tried again, and a call retried only once it has failed.

`backoff`: exponential, capped; both services' outboxes use it. `after_a_failure`: the HTTP clients'
one retry layer (the Graph API's, the CRM's).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import stamina

T = TypeVar("T")

Retries = type[Exception] | tuple[type[Exception], ...] | Callable[[Exception], bool]


def backoff(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> timedelta:
    """The wait before attempt `attempts + 1`: base, 2·base, 4·base… never more than `cap` seconds."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _retries(on: Retries, exc: Exception) -> bool:
    if isinstance(on, type | tuple):
        return isinstance(exc, on)
    return on(exc)


async def after_a_failure(
    attempt: Callable[[], Awaitable[T]],
    *,
    on: Retries,
    attempts: int,
    deadline: float,
    wait_initial: float,
    wait_max: float,
) -> T:
    """`attempt()`, retried by stamina while `on` accepts the error, within `attempts` and `deadline`
    seconds from now.

    Nearly every call succeeds at once, and setting up stamina's loop (tenacity's machinery) cost
    ~60 µs of CPU per call: the first attempt runs on its own, and the loop starts only when it
    failed with an error `on` retries — its first attempt being that failure, raised again (not
    made again). Stamina so counts, waits, logs and stops (test mode included) as if it had run that
    attempt, the deadline being what is left of `deadline`.
    """
    started = time.monotonic()
    try:
        return await attempt()
    except Exception as exc:
        if not _retries(on, exc):
            raise
        first: Exception = exc
    left = deadline - (time.monotonic() - started)
    if left <= 0:
        raise first
    replay = True
    async for trying in stamina.retry_context(
        on=on, attempts=attempts, timeout=left, wait_initial=wait_initial, wait_max=wait_max
    ):
        with trying:
            if replay:
                replay = False
                raise first
            return await attempt()
    raise AssertionError("unreachable")  # pragma: no cover
