"""Concurrent calls of one write, made as one statement: group commit for the webhook's writes.

Under a burst, hundreds of webhooks each make the same small statement at the same moment (store
this message, record this status). Each costs the process a pooled connection, a round trip and a
commit, and Postgres a wake-up, a bind and a commit of its own, for one row. A `Coalescer` makes the
first call at once; the calls that arrive while that statement runs wait for it, then go together
as the next statement, and so on. With light traffic nothing waits (a call finds nothing running);
under load the statements grow with the load, which is when their count matters.

Nothing is answered before the statement that holds its rows returned: a webhook's 200 still means
stored. Each caller gets the answers for its own items, in order. If a statement of several callers
fails for something an item can cause (`alone` says which: a value the database refuses, a
deadlock), each caller's part is made again alone, so one body the database refuses fails only its
own webhook (Meta sends it again), never the others in its statement. A failure no item causes (the
database or Redis away) fails them all at once, as their own statements would have.

It lives in one process and holds nothing past the statement in flight: a process that dies drops
only calls that had not been answered, whose senders send again. Across processes each makes its
own statements, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["Coalescer", "item_fault", "sqlstate"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Call(Generic[T, R]):
    items: list[T]
    answer: asyncio.Future[list[R]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Coalescer(Generic[T, R]):
    """`run(items) -> answers` (one answer per item, in order) made for the callers waiting together."""

    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[list[R]]],
        *,
        max_items: int = 500,
        alone: Callable[[Exception], bool] = lambda exc: False,
    ) -> None:
        self._run = run
        self._max_items = max_items
        self._alone = alone
        self._waiting: list[_Call[T, R]] = []
        self._task: asyncio.Task[None] | None = None
        self.statements = 0  # how many statements it made (the tests and the benchmarks read it)

    async def __call__(self, items: Sequence[T]) -> list[R]:
        if not items:
            return []
        call: _Call[T, R] = _Call(list(items))
        self._waiting.append(call)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())
        # A caller that gives up (its client went away) leaves its items in the statement: they are
        # stored as if it had waited, and Meta's redelivery finds them there.
        return await call.answer

    def _take(self) -> list[_Call[T, R]]:
        taken: list[_Call[T, R]] = []
        n = 0
        while self._waiting and (not taken or n + len(self._waiting[0].items) <= self._max_items):
            call = self._waiting.pop(0)
            taken.append(call)
            n += len(call.items)
        return taken

    async def _drain(self) -> None:
        try:
            while self._waiting:
                await self._together(self._take())
        except BaseException as exc:  # stopped (the process shutting down): no one is left waiting
            waiting, self._waiting = self._waiting, []
            for call in waiting:
                _fail(call, exc)
            raise

    async def _together(self, calls: list[_Call[T, R]]) -> None:
        try:
            answers = await self._made([item for call in calls for item in call.items])
        except Exception as exc:
            if len(calls) == 1 or not self._alone(exc):
                for call in calls:
                    _fail(call, exc)
                return
            for call in calls:  # each alone: only the part the database refuses fails
                try:
                    _answer(call, await self._made(call.items))
                except Exception as alone:
                    _fail(call, alone)
            return
        except BaseException as exc:  # cancelled (the process stopping): nobody waits for an answer
            for call in calls:
                _fail(call, exc)
            raise
        at = 0
        for call in calls:
            _answer(call, answers[at : at + len(call.items)])
            at += len(call.items)

    async def _made(self, items: list[T]) -> list[R]:
        self.statements += 1
        answers = await self._run(items)
        if len(answers) != len(items):
            raise RuntimeError(f"{len(answers)} answers for {len(items)} items")
        return answers


def _answer(call: _Call[T, R], answers: list[R]) -> None:
    if not call.answer.done():
        call.answer.set_result(answers)


def _fail(call: _Call[T, R], exc: BaseException) -> None:
    if not call.answer.done():
        if isinstance(exc, asyncio.CancelledError):
            call.answer.cancel()
        else:
            call.answer.set_exception(exc)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a Postgres error, raised by the driver or wrapped by SQLAlchemy."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return None
        code = getattr(seen, "sqlstate", None)
        if isinstance(code, str):
            return code
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def item_fault(exc: Exception) -> bool:
    """Could one of a statement's rows have caused this? A value refused (SQLSTATE class 22, 23) or a
    deadlock or serialization failure (40): then each caller's rows are worth making again alone."""
    code = sqlstate(exc)
    return code is not None and code[:2] in ("22", "23", "40")
