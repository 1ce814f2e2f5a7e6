"""certokit.lanes: one key's items in order, a few keys at once, and a failure stops them all."""

from __future__ import annotations

import asyncio

import pytest

from certokit import lanes


class Receiver:
    """Records what it received and when, each item taking a moment; counts how many were in flight."""

    def __init__(self) -> None:
        self.received: list[tuple[str, int]] = []
        self.in_flight = 0
        self.most = 0

    async def take(self, item: tuple[str, int]) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            self.received.append(item)
        finally:
            self.in_flight -= 1


def items() -> list[tuple[str, int]]:
    # Six debtors' messages interleaved as a batch leases them: a, b, c, a, b, …
    return [(debtor, n) for n in range(3) for debtor in "abcdef"]


def test_by_key_keeps_each_keys_order_and_the_first_appearance_of_keys() -> None:
    grouped = lanes.by_key(items(), lambda i: i[0])
    assert [lane[0][0] for lane in grouped] == list("abcdef")
    assert all([n for _, n in lane] == [0, 1, 2] for lane in grouped)


async def test_keys_go_together_each_in_order_never_more_than_the_width() -> None:
    receiver = Receiver()

    async def lane(batch: list[tuple[str, int]]) -> None:
        for item in batch:
            await receiver.take(item)

    await lanes.run(lanes.by_key(items(), lambda i: i[0]), lane, width=4)
    assert sorted(receiver.received) == sorted(items())  # everything, once
    assert receiver.most == 4
    for debtor in "abcdef":
        assert [n for d, n in receiver.received if d == debtor] == [0, 1, 2]


async def test_the_first_failure_propagates_as_raised_and_stops_the_other_lanes() -> None:
    """A process killed mid-pass, as the code sees it: nothing after the failure runs in any lane."""

    class Killed(BaseException):
        """A kill -9 as the code sees it: nothing after this point runs."""

    receiver = Receiver()

    async def lane(batch: list[tuple[str, int]]) -> None:
        for item in batch:
            if item == ("b", 1):
                raise Killed
            await receiver.take(item)

    with pytest.raises(Killed):
        await lanes.run(lanes.by_key(items(), lambda i: i[0]), lane, width=3)
    seen = len(receiver.received)
    await asyncio.sleep(0.05)
    assert len(receiver.received) == seen  # no lane went on afterwards
    assert ("e", 0) not in receiver.received  # lanes not started then never start


async def test_nothing_to_do() -> None:
    async def lane(batch: list[int]) -> None:
        raise AssertionError("no lane to run")

    await lanes.run([], lane, width=4)
