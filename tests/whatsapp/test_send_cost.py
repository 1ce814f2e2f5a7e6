"""What sending one message costs: Postgres statements and round trips, Redis round trips.

The figures are recorded in docs/performance.md ("Send side, per message"); the budgets below keep
them from creeping back: the lease is one statement per batch, each message is recorded by one
short transaction, the rate limit is one Redis script call.
"""

from __future__ import annotations

from typing import Any

import pytest

from certobot.whatsapp.sender import Sender
from tests.counting import Tally, counting
from tests.fakes import FakeGraph
from tests.whatsapp.test_sender import conversation, queue, sending  # noqa: F401  # the fixture


async def _send(resources: Any, n: int, monkeypatch: pytest.MonkeyPatch) -> Tally:
    conv_id = await conversation(resources, phone=f"+55119876{n:05d}")
    await queue(resources, conv_id, [f"mensagem {n}-{i}" for i in range(n)], to=f"55119876{n:05d}")
    sender = Sender(resources)
    sender.limiter.per_second = 1000  # pacing is tested elsewhere; here no one waits for a window
    await sender.limiter.acquire()  # the script is loaded once per Redis, not per message
    with counting(resources.engine, monkeypatch) as tally:
        assert await sender.deliver_conversation(conv_id) == n
    return tally


@pytest.mark.parametrize("n", [1, 10])
async def test_send_side_cost_per_message(
    n: int, sending: tuple[Any, FakeGraph], monkeypatch: pytest.MonkeyPatch
) -> None:
    resources, graph = sending
    tally = await _send(resources, n, monkeypatch)
    assert len(graph.sent) == n
    kinds = tally.kinds()
    print(  # shown with -s; the table in performance.md comes from here
        f"\nsend n={n}: statements={len(tally.statements)} {dict(kinds)} begins={tally.begins} "
        f"commits={tally.commits} pg_round_trips={tally.pg_round_trips} "
        f"redis_round_trips={tally.redis_round_trips} {dict(tally.redis_commands)}"
    )
    assert kinds == {"UPDATE": 1 + 2 * n}  # the lease, then the row and its transcript line per message
    assert tally.begins == tally.commits == 1 + n  # nothing held open across a send
    assert tally.redis_round_trips == n  # the rate limit, one script call per message
    assert tally.redis_commands == {"EVALSHA": n}
