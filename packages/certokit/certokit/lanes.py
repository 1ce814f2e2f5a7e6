"""Deliveries in lanes: one key's items in order, one after the other; several keys at once.

An outbox pass leases a batch of rows and does each row's network I/O with no transaction open.
Made one at a time, the pass waits out every round trip in turn: after a burst or an outage a
backlog drains slower than the receiver could take it. Made all at once,
one debtor's messages could overtake each other (a boleto's installments, a conversation's outcome
and the contact log before it). So the rows are grouped by what must stay in order (a conversation,
a phone) and a few groups go at once, each group's rows one after the other.

Nothing here outlives the pass: the rows stay leased in Postgres, which decides what is delivered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable
from typing import Any, TypeVar

__all__ = ["by_key", "run"]

T = TypeVar("T")


def by_key(items: Iterable[T], key: Callable[[T], Hashable]) -> list[list[T]]:
    """The items grouped by `key`, each group in the items' order, groups by their first item."""
    lanes: dict[Hashable, list[T]] = {}
    for item in items:
        lanes.setdefault(key(item), []).append(item)
    return list(lanes.values())


async def run(lanes: list[list[T]], work: Callable[[list[T]], Awaitable[None]], width: int) -> None:
    """`work(lane)` for every lane, at most `width` at once, the next lane starting as one ends.

    The first exception stops the lanes still running (cancelled where they wait) and propagates as
    raised, not wrapped in a group as a `TaskGroup` would: a caller (and a test simulating a kill)
    sees the failure itself, and no lane records anything after it.
    """
    queue = list(lanes)

    async def worker() -> None:
        while queue:
            await work(queue.pop(0))

    await _all_or_none([worker() for _ in range(min(max(width, 1), len(queue)))])


async def _all_or_none(jobs: list[Coroutine[Any, Any, None]]) -> None:
    tasks = [asyncio.ensure_future(job) for job in jobs]
    if not tasks:
        return
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if not task.cancelled() and (exc := task.exception()) is not None:
                raise exc
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
