"""Sending through the Graph API: retries on 429, pacing per number, the 24-hour window fallback."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import stamina
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.main import create_app
from certobot.negotiation.models import Conversation, Outbox
from certobot.whatsapp import sweeper
from certobot.whatsapp.models import Message
from certobot.whatsapp.outbound import queue_message
from certobot.whatsapp.sender import Sender
from certokit.db import utcnow
from certokit.whatsapp.graph import GraphClient, SendResult, text_message
from tests.counting import Tally, counting
from tests.e2e.conftest import bot_settings
from tests.fakes import FakeGraph


async def _noop(*_: Any) -> None:
    return None


@pytest.fixture
async def sending(database_url: str, redis_url: str, engine: AsyncEngine) -> AsyncIterator[tuple[Any, FakeGraph]]:
    graph = FakeGraph()
    app = create_app(
        bot_settings(database_url, redis_url, run_background_workers=False, whatsapp_rate_per_second=5),
        turn_handler=_noop,
        http=httpx.AsyncClient(mounts={"http://graph.test": graph.transport}),
    )
    stamina.set_testing(True, attempts=1)
    try:
        async with app.router.lifespan_context(app):
            yield app.state.resources, graph
    finally:
        stamina.set_testing(False)


async def conversation(resources: Any, phone: str = "+5511987654321") -> str:
    conv_id = str(uuid.uuid4())
    async with resources.sessionmaker() as s, s.begin():
        s.add(Conversation(id=conv_id, phone=phone, phone_key=phone[1:5] + phone[6:], origin="outbound"))
    return conv_id


async def queue(resources: Any, conv_id: str, texts: list[str], to: str = "5511987654321") -> None:
    async with resources.sessionmaker() as s, s.begin():
        for t in texts:
            await queue_message(s, conversation_id=conv_id, to=to, message=text_message(t), transcript=t, key=f"k:{t}")


async def drain(resources: Any, sender: Sender, conv_id: str, passes: int = 20) -> None:
    for _ in range(passes):
        await sender.deliver_conversation(conv_id)
        async with resources.sessionmaker() as s, s.begin():
            await s.execute(update(Outbox).where(Outbox.status == "pending").values(next_attempt_at=utcnow()))


class TestRetries:
    async def test_429_for_a_while_then_every_message_sent_once_in_order(self, sending: tuple[Any, FakeGraph]) -> None:
        resources, graph = sending
        conv_id = await conversation(resources)
        texts = [f"mensagem {i}" for i in range(8)]
        await queue(resources, conv_id, texts)
        graph.fail_next(5, status=429, code=130429)
        await drain(resources, Sender(resources), conv_id)
        assert graph.texts_to("5511987654321") == texts
        async with resources.sessionmaker() as s:
            rows = (await s.scalars(select(Message).where(Message.conversation_id == conv_id))).all()
            assert {m.status for m in rows} == {"sent"}
            assert all(m.wamid and m.wamid.startswith("wamid.FAKE") for m in rows)

    async def test_permanent_error_recorded_on_the_message(self, sending: tuple[Any, FakeGraph]) -> None:
        resources, graph = sending
        conv_id = await conversation(resources)
        await queue(resources, conv_id, ["oi"])
        graph.fail_next(1, status=400, code=131026)  # message undeliverable
        await drain(resources, Sender(resources), conv_id, passes=2)
        async with resources.sessionmaker() as s:
            msg = await s.scalar(select(Message).where(Message.conversation_id == conv_id))
            assert msg is not None
            assert msg.status == "failed"
            assert msg.error is not None
            assert msg.error["code"] == 131026
        assert graph.texts_to("5511987654321") == []

    async def test_outside_24h_window_falls_back_to_the_template(self, sending: tuple[Any, FakeGraph]) -> None:
        resources, graph = sending
        conv_id = await conversation(resources)
        await queue(resources, conv_id, ["voltou?"])
        graph.fail_next(1, status=400, code=131047)
        await drain(resources, Sender(resources), conv_id, passes=3)
        sent = graph.messages_to("5511987654321")
        assert [m["type"] for m in sent] == ["template"]
        assert sent[0]["template"]["name"] == "cobranca_abertura"
        assert sent[0]["template"]["language"] == {"code": "pt_BR"}

    async def test_meta_wa_id_is_remembered(self, sending: tuple[Any, FakeGraph]) -> None:
        resources, graph = sending
        graph.wa_id_map["5511987654321"] = "551187654321"  # an account from before the ninth digit
        conv_id = await conversation(resources)
        await queue(resources, conv_id, ["oi"])
        await drain(resources, Sender(resources), conv_id, passes=1)
        async with resources.sessionmaker() as s:
            conv = await s.get(Conversation, conv_id)
            assert conv is not None
            assert conv.wa_id == "551187654321"


class TestPacing:
    async def test_rate_per_number_holds(self, sending: tuple[Any, FakeGraph]) -> None:
        resources, graph = sending
        sender = Sender(resources)
        for i in range(3):
            conv_id = await conversation(resources, phone=f"+551198765{i:04d}")
            await queue(resources, conv_id, [f"c{i}-{j}" for j in range(5)], to=f"551198765{i:04d}")
            await sender.deliver_conversation(conv_id)
        per_second = Counter(int(s.wall) for s in graph.sent)
        assert sum(per_second.values()) == 15
        assert max(per_second.values()) <= 5


class Crash(BaseException):
    """A kill -9 as the code sees it: nothing after this point runs, no handler catches it."""


async def lease_runs_out(resources: Any) -> None:
    async with resources.sessionmaker() as s, s.begin():
        await s.execute(
            update(Outbox).where(Outbox.locked_until.is_not(None)).values(locked_until=utcnow() - timedelta(seconds=1))
        )


class TestCrashBetweenSendAndRecord:
    async def test_only_the_message_in_flight_is_sent_again(
        self, sending: tuple[Any, FakeGraph], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        resources, graph = sending
        conv_id = await conversation(resources)
        texts = [f"parte {i}" for i in range(5)]
        await queue(resources, conv_id, texts)
        dying = Sender(resources)
        record = dying._record_sent

        async def meta_took_the_third_then_the_process_died(*args: Any) -> None:
            if len(graph.sent) == 3:
                raise Crash
            await record(*args)

        monkeypatch.setattr(dying, "_record_sent", meta_took_the_third_then_the_process_died)
        with pytest.raises(Crash):
            await dying.deliver_conversation(conv_id)
        assert graph.texts_to("5511987654321") == texts[:3]

        survivor = Sender(resources)
        # While the dead worker's lease lasts, nobody overtakes its message: order holds.
        assert await survivor.deliver_conversation(conv_id) == 0
        await lease_runs_out(resources)
        assert await survivor.deliver_conversation(conv_id) == 3
        assert graph.texts_to("5511987654321") == [*texts[:3], *texts[2:]]
        twice = [t for t, n in Counter(graph.texts_to("5511987654321")).items() if n > 1]
        assert twice == ["parte 2"]  # at least once means one message at most, never the batch
        async with resources.sessionmaker() as s:
            rows = (await s.scalars(select(Outbox).where(Outbox.conversation_id == conv_id))).all()
            assert {(r.status, r.locked_until) for r in rows} == {("done", None)}


class TestRetryOnlyWhatCannotHaveBeenDelivered:
    async def test_a_lost_answer_is_not_sent_again(self, sending: tuple[Any, FakeGraph]) -> None:
        resources, graph = sending
        conv_id = await conversation(resources)
        await queue(resources, conv_id, ["seu boleto", "obrigada"])
        graph.lose_answers = 1  # Meta takes the first message, its answer never comes back
        stamina.set_testing(True, attempts=3)
        await drain(resources, Sender(resources), conv_id, passes=3)
        assert graph.texts_to("5511987654321") == ["seu boleto", "obrigada"]  # once each
        async with resources.sessionmaker() as s:
            first = await s.scalar(select(Message).where(Message.body == "seu boleto"))
            assert first is not None
            assert first.status == "failed"

    async def test_connection_refused_is_retried_and_delivered(self, sending: tuple[Any, FakeGraph]) -> None:
        resources, graph = sending
        conv_id = await conversation(resources)
        await queue(resources, conv_id, ["oi de novo"])
        graph.refuse = 2
        stamina.set_testing(True, attempts=3)
        await drain(resources, Sender(resources), conv_id, passes=1)
        assert graph.texts_to("5511987654321") == ["oi de novo"]
        assert graph.refuse == 0

    async def test_retries_are_paced_by_the_rate_per_number(self) -> None:
        attempts: list[float] = []
        graph = FakeGraph()
        graph.fail_next(6, status=429, code=130429)

        def record(request: httpx.Request) -> httpx.Response:
            attempts.append(time.monotonic())
            return graph.handler(request)

        paced: list[float] = []

        async def pace() -> None:
            paced.append(time.monotonic())

        async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
            client = GraphClient(http, base_url="http://graph.test/v25.0", access_token="t", phone_number_id="1")
            stamina.set_testing(True, attempts=7)
            try:
                result = await client.send("5511987654321", text_message("oi"), pace=pace)
            finally:
                stamina.set_testing(False)
        assert isinstance(result, SendResult)
        assert len(attempts) == 7
        assert len(paced) == 7  # every attempt, the six refused ones too, asked the rate limiter first


# What sending one message costs (figures in docs/performance.md, "Send side, per message"): the
# lease is one statement per batch, each message is recorded by one statement, the rate limit is
# one Redis script call. The budgets keep them from creeping back.
async def _send_counted(resources: Any, n: int, monkeypatch: pytest.MonkeyPatch) -> Tally:
    conv_id = await conversation(resources, phone=f"+55119876{n:05d}")
    await queue(resources, conv_id, [f"mensagem {n}-{i}" for i in range(n)], to=f"55119876{n:05d}")
    sender = Sender(resources)
    sender.limiter.per_second = 1000  # pacing is tested elsewhere; here no one waits for a window
    await sender.limiter.acquire()  # the script is loaded once per Redis, not per message
    with counting(resources.engine, monkeypatch, resources.sessionmaker.kw["bind"]) as tally:
        assert await sender.deliver_conversation(conv_id) == n
    return tally


@pytest.mark.parametrize("n", [1, 10])
async def test_send_side_cost_per_message(
    n: int, sending: tuple[Any, FakeGraph], monkeypatch: pytest.MonkeyPatch
) -> None:
    resources, graph = sending
    tally = await _send_counted(resources, n, monkeypatch)
    assert len(graph.sent) == n
    kinds = tally.kinds()
    # The lease; then per message the row and its transcript line in one statement (WITH … UPDATE).
    assert kinds == {"UPDATE": 1, "WITH": n}
    assert tally.begins == tally.commits == 0  # each a statement on its own (autocommit): nothing held open
    assert tally.pg_round_trips == 1 + n
    assert tally.redis_round_trips == n  # the rate limit, one script call per message
    assert tally.redis_commands == {"EVALSHA": n}


class TestSweeperBacklog:
    async def test_a_backlog_longer_than_a_pass_goes_out_at_once_not_a_batch_per_grace(
        self, sending: tuple[Any, FakeGraph], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Replies due in more conversations than one pass serves (after a Graph outage, or a worker
        killed with many leased): the sweeper goes again at once, not one batch every few seconds."""
        resources, graph = sending
        monkeypatch.setattr(sweeper, "DUE_BATCH", 2)  # three conversations: two passes
        phones = [f"55119876543{i:02d}" for i in range(3)]
        for phone in phones:
            await queue(resources, await conversation(resources, "+" + phone), [f"oi {phone}"], to=phone)
        stop = asyncio.Event()
        loop = asyncio.create_task(sweeper.run_sweeper(resources, stop, fallback=3600, grace=30))
        try:
            async with asyncio.timeout(10):  # the grace (30 s) and the poll (an hour) are far off
                while not all(graph.texts_to(p) for p in phones):
                    await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(loop, 10)
        assert [graph.texts_to(p) for p in phones] == [[f"oi {p}"] for p in phones]  # each once
