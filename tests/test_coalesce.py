"""certokit.coalesce: callers that arrive together share one statement, and only they pay for its faults."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from certokit import rawsql
from certokit.coalesce import Coalescer, item_fault


class Table:
    """A table that refuses some values, as Postgres refuses a row it cannot store."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.statements: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def insert(self, items: list[str]) -> list[int]:
        self.statements.append(items)
        await self.gate.wait()
        if any("\x00" in i for i in items):
            raise ValueError("invalid byte sequence")  # the whole statement undone
        start = len(self.rows)
        self.rows.extend(items)
        return list(range(start, start + len(items)))


async def test_callers_arriving_while_a_statement_runs_go_together_in_the_next() -> None:
    table = Table()
    together = Coalescer(table.insert)
    table.gate.clear()
    first = asyncio.create_task(together(["a"]))
    await asyncio.sleep(0)  # the first statement is running, held at the gate
    rest = [asyncio.create_task(together([f"b{i}", f"c{i}"])) for i in range(10)]
    await asyncio.sleep(0)
    table.gate.set()
    answers = await asyncio.gather(first, *rest)

    assert table.statements[0] == ["a"]
    assert len(table.statements) == 2  # ten callers, one statement
    # Each caller gets the answers for its own items, in its own order.
    assert answers[0] == [0]
    for i, got in enumerate(answers[1:]):
        assert [table.rows[n] for n in got] == [f"b{i}", f"c{i}"]


async def test_a_body_the_database_refuses_fails_alone() -> None:
    table = Table()
    together = Coalescer(table.insert, alone=lambda exc: isinstance(exc, ValueError))
    table.gate.clear()
    blocker = asyncio.create_task(together(["first"]))
    await asyncio.sleep(0)
    good = [asyncio.create_task(together([f"ok{i}"])) for i in range(5)]
    bad = asyncio.create_task(together(["bad\x00"]))
    await asyncio.sleep(0)
    table.gate.set()
    await blocker

    assert all([await g for g in good])
    with pytest.raises(ValueError, match="invalid byte sequence"):
        await bad
    assert sorted(table.rows) == ["first", *[f"ok{i}" for i in range(5)]]


async def test_a_caller_that_gives_up_still_has_its_items_written() -> None:
    table = Table()
    together = Coalescer(table.insert)
    table.gate.clear()
    gone = asyncio.create_task(together(["kept"]))
    await asyncio.sleep(0)
    gone.cancel()  # the client went away; its message was already in the statement
    with pytest.raises(asyncio.CancelledError):
        await gone
    table.gate.set()
    assert await together(["next"]) == [1]
    assert table.rows == ["kept", "next"]


async def test_nothing_waits_when_nothing_runs() -> None:
    table = Table()
    together = Coalescer(table.insert)
    for i in range(3):
        assert await together([str(i)]) == [i]
    assert table.statements == [["0"], ["1"], ["2"]]
    assert await together([]) == []


async def test_a_fault_no_item_causes_fails_everyone_once_not_each_again() -> None:
    """The database away: the callers of the statement all fail at once (Meta sends again), rather
    than each waiting for a statement of its own that would fail the same way."""
    calls: list[list[str]] = []

    async def down(items: list[str]) -> list[int]:
        calls.append(items)
        await asyncio.sleep(0)
        raise ConnectionError("the database went away")

    together = Coalescer(down)
    first = asyncio.create_task(together(["a"]))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(together([str(i)])) for i in range(5)]
    results = await asyncio.gather(first, *rest, return_exceptions=True)

    assert all(isinstance(r, ConnectionError) for r in results)
    assert len(calls) == 2  # the first statement and the five together, no retries one by one


async def test_a_refused_value_is_told_apart_from_the_database_being_away(engine: AsyncEngine) -> None:
    with pytest.raises(DBAPIError) as refused:
        await rawsql.fetch(engine, text("SELECT (:v)::int"), {"v": "not a number"})
    assert item_fault(refused.value)  # SQLSTATE 22P02: worth trying each caller's rows alone
    assert not item_fault(ConnectionRefusedError("no database"))
    assert not item_fault(RuntimeError("anything else"))
