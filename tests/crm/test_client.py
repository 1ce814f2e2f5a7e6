"""The bot's CRM client against the real mock CRM app, with real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
import redis.asyncio as aioredis
import stamina
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.crm import outbox as crm_outbox
from certobot.crm.client import CrmClient, CrmError, CrmUnavailable
from certobot.crm.outbox import deliver_due, queue_contact, queue_outcome
from certobot.crm.schemas import ContactRequest, ConversationOutcome
from certobot.negotiation.models import Outbox
from mock_crm.main import create_app
from mock_crm.negotiations.models import NegotiationResult
from tests.conftest import CRM_KEY, crm_settings
from tests.factories import create_debtor, make_cpf

T = TypeVar("T")


class FlakyTransport(httpx.AsyncBaseTransport):
    """The real CRM app behind a switch: counts requests, can fail with 503 or refuse connections."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.requests = 0
        self.fail_with: int | None = None
        self.fail_times = 0
        self.down = False
        self.lose_answers = 0  # requests the CRM carries out whose answer never arrives
        self.keys: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.fail_times > 0:
            self.fail_times -= 1
            return httpx.Response(self.fail_with or 503, json={"detail": "fora do ar"})
        if request.method == "POST":
            self.keys.append(request.headers.get("idempotency-key"))
        response = await self.inner.handle_async_request(request)
        if self.lose_answers > 0:
            self.lose_answers -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        return response


@pytest.fixture(autouse=True)
def _no_sleep() -> AsyncIterator[None]:
    stamina.set_testing(True, attempts=3)
    yield  # type: ignore[misc]
    stamina.set_testing(False)


@asynccontextmanager
async def crm_stack(
    database_url: str, redis_url: str, transport_of: Callable[[object], T], breaker_threshold: int
) -> AsyncIterator[tuple[CrmClient, T, httpx.AsyncClient]]:
    """The real CRM app behind `transport_of(app)`, the bot's client of it, and an admin client."""
    app = create_app(crm_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = transport_of(app)
        redis = aioredis.from_url(redis_url)
        async with (
            httpx.AsyncClient(transport=transport) as http,  # type: ignore[arg-type]
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://crm.test",
                headers={"Authorization": f"Bearer {CRM_KEY}"},
            ) as admin,
        ):
            yield (
                CrmClient(http, "http://crm.test", CRM_KEY, redis, breaker_threshold=breaker_threshold),
                transport,
                admin,
            )
        await redis.aclose()


@pytest.fixture
async def stack(
    database_url: str, redis_url: str
) -> AsyncIterator[tuple[CrmClient, FlakyTransport, httpx.AsyncClient]]:
    async with crm_stack(database_url, redis_url, FlakyTransport, breaker_threshold=3) as made:
        yield made


def outcome(cpf: str, session_id: str = "sess-1") -> ConversationOutcome:
    return ConversationOutcome(
        session_id=session_id,
        debtor_cpf=cpf,
        outcome="unsuccessful",
        interaction_timestamp=datetime(2026, 11, 22, 14, 0, tzinfo=UTC),
        duration=30,
    )


class TestLookups:
    async def test_by_cpf_and_unknown(self, stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient]) -> None:
        client, _, admin = stack
        d = await create_debtor(admin, debt="321.09")
        got = await client.get_debtor(d["cpf"])
        assert got is not None
        assert str(got.debt_amount) == "321.09"
        assert await client.get_debtor(make_cpf()) is None

    async def test_by_phone_with_and_without_ninth_digit(
        self, stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient]
    ) -> None:
        client, _, admin = stack
        d = await create_debtor(admin, phone="+5511987650000")
        for phone in ("5511987650000", "551187650000"):
            found = await client.find_by_phone(phone)
            assert found is not None
            assert found.cpf == d["cpf"]
        assert await client.find_by_phone("5511912340000") is None

    async def test_second_lookup_comes_from_cache_until_a_write(
        self, stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient]
    ) -> None:
        client, transport, admin = stack
        d = await create_debtor(admin)
        await client.get_debtor(d["cpf"])
        before = transport.requests
        await client.get_debtor(d["cpf"])
        assert transport.requests == before
        await client.log_contact(d["cpf"], ContactRequest(kind="attempt"))
        after_write = transport.requests
        fresh = await client.get_debtor(d["cpf"])
        assert transport.requests == after_write + 1
        assert fresh is not None
        assert fresh.previous_contacts == 1


class TestFailures:
    async def test_retries_503_then_succeeds(self, stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient]) -> None:
        client, transport, admin = stack
        d = await create_debtor(admin)
        transport.fail_times = 2
        assert (await client.get_debtor(d["cpf"])) is not None

    async def test_a_post_whose_answer_was_lost_is_retried_with_its_key_and_lands_once(
        self, stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient]
    ) -> None:
        client, transport, admin = stack
        d = await create_debtor(admin)
        await client.get_debtor(d["cpf"])  # cached: the contact POST is the only request below
        transport.keys.clear()
        transport.lose_answers = 1
        await client.log_contact(d["cpf"], ContactRequest(kind="attempt"))
        assert len(transport.keys) == 2
        assert transport.keys[0] is not None
        assert transport.keys[0] == transport.keys[1]  # the retry is the same request, not a new one
        assert len((await admin.get(f"/api/debtors/{d['cpf']}/contacts")).json()) == 1

    async def test_no_retry_on_4xx(self, stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient]) -> None:
        client, transport, _ = stack
        before = transport.requests
        with pytest.raises(CrmError) as err:
            await client.log_contact(make_cpf(), ContactRequest(kind="attempt"))
        assert err.value.status == 404
        assert transport.requests == before + 1

    async def test_breaker_opens_then_recovers(
        self, stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient]
    ) -> None:
        client, transport, admin = stack
        d = await create_debtor(admin)
        transport.down = True
        for _ in range(3):
            with pytest.raises(CrmUnavailable):
                await client.get_outcome("x")
        calls = transport.requests
        with pytest.raises(CrmUnavailable, match="circuito aberto"):
            await client.get_debtor(d["cpf"])
        assert transport.requests == calls  # failed fast, no request
        transport.down = False
        await client.redis.hset("certobot:crm:breaker", "open_until", 0)  # the window passes
        assert (await client.get_debtor(d["cpf"])) is not None


class TestOutbox:
    async def test_outcome_survives_outage_and_lands_once(
        self,
        stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient],
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        client, transport, admin = stack
        d = await create_debtor(admin)
        async with sessionmaker() as s, s.begin():
            assert await queue_outcome(s, outcome(d["cpf"]))
            assert not await queue_outcome(s, outcome(d["cpf"]))  # queued twice: one row
        transport.down = True
        assert await deliver_due(sessionmaker, client) == 0
        transport.down = False
        await client.redis.delete("certobot:crm:breaker")
        async with sessionmaker() as s, s.begin():
            row = await s.scalar(select(Outbox))
            assert row is not None
            assert row.attempts == 1
            row.next_attempt_at = datetime.now(UTC)  # the backoff elapses
        assert await deliver_due(sessionmaker, client) == 1
        assert await deliver_due(sessionmaker, client) == 0
        async with sessionmaker() as s:
            assert await s.scalar(select(func.count()).select_from(NegotiationResult)) == 1
            assert (await s.scalar(select(Outbox)) or Outbox()).status == "done"


class Crash(BaseException):
    """A kill -9 as the code sees it: nothing after this point runs."""


async def four_contacts_queued(
    admin: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> dict[str, Any]:
    """A debtor with four contact-log entries waiting in the bot's outbox (keys contact:0 … 3)."""
    d = await create_debtor(admin)
    async with sessionmaker() as s, s.begin():
        for i in range(4):
            await queue_contact(s, d["cpf"], ContactRequest(kind="attempt", notes=f"tentativa {i}"), f"contact:{i}")
    return d


class TestOutboxCrash:
    async def test_a_crash_between_a_post_and_its_record_reposts_that_row_only(
        self,
        stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient],
        sessionmaker: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        client, transport, admin = stack
        d = await four_contacts_queued(admin, sessionmaker)
        record = crm_outbox.outbox.mark_done
        recorded = 0

        async def the_process_dies_before_recording_the_second(session: AsyncSession, row: Outbox) -> None:
            nonlocal recorded
            if recorded == 1:
                raise Crash
            recorded += 1
            await record(session, row)

        monkeypatch.setattr(crm_outbox.outbox, "mark_done", the_process_dies_before_recording_the_second)
        with pytest.raises(Crash):
            await deliver_due(sessionmaker, client)
        monkeypatch.setattr(crm_outbox.outbox, "mark_done", record)

        # The debtor's lookup (a POST with a key of its own) is not one of the outbox's rows.
        def posted() -> list[str | None]:
            return [k for k in transport.keys if k and k.startswith("contact:")]

        assert posted() == ["contact:0", "contact:1"]
        assert await deliver_due(sessionmaker, client) == 0  # the dead worker's lease still holds its rows
        async with sessionmaker() as s, s.begin():
            await s.execute(update(Outbox).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
        assert await deliver_due(sessionmaker, client) == 3
        # One row went out again, with its key; the rows recorded before the crash did not.
        assert posted() == ["contact:0", "contact:1", "contact:1", "contact:2", "contact:3"]
        logged = (await admin.get(f"/api/debtors/{d['cpf']}/contacts")).json()
        assert sorted(c["notes"] for c in logged) == [f"tentativa {i}" for i in range(4)]  # the CRM logged it once

    async def test_rows_a_killed_process_had_leased_go_out_at_once_not_after_the_lease(
        self,
        stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient],
        sessionmaker: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A debtor who said "fechou" as the process died gets the outcome (and so the boleto) from
        the next pass of any live process, not two minutes later: the lease names the backend of the
        connection its worker held, and a killed process's connections close with it."""
        client, _, admin = stack
        d = await four_contacts_queued(admin, sessionmaker)
        record = crm_outbox.outbox.mark_done

        async def the_process_dies_after_the_first(session: AsyncSession, row: Outbox) -> None:
            await record(session, row)
            raise Crash

        monkeypatch.setattr(crm_outbox.outbox, "mark_done", the_process_dies_after_the_first)
        with pytest.raises(Crash):
            await deliver_due(sessionmaker, client)
        monkeypatch.setattr(crm_outbox.outbox, "mark_done", record)
        async with sessionmaker() as s:
            held = (
                await s.execute(select(Outbox.locked_by, Outbox.locked_until).where(Outbox.status == "pending"))
            ).all()
        assert len(held) == 3
        assert all(until is not None and until > datetime.now(UTC) + timedelta(seconds=60) for _, until in held)
        # While its backend lives, the lease holds (the process may still be working on the rows) …
        assert await deliver_due(sessionmaker, client) == 0
        # … and the process dies: the kernel closes its connections, Postgres ends their backends.
        async with sessionmaker() as s:
            await s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": held[0][0]})
        await sessionmaker.kw["bind"].dispose()  # its pool went with it
        for _ in range(50):  # the backend leaves pg_stat_activity within moments
            if (delivered := await deliver_due(sessionmaker, client)) or _ == 49:
                break
            await asyncio.sleep(0.05)
        assert delivered == 3  # no waiting out the lease
        logged = (await admin.get(f"/api/debtors/{d['cpf']}/contacts")).json()
        assert sorted(c["notes"] for c in logged) == [f"tentativa {i}" for i in range(4)]  # each once


class TestOutboxLoop:
    async def test_a_backlog_longer_than_a_pass_drains_without_waiting_for_the_next_poll(
        self,
        stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient],
        sessionmaker: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """After a burst the outcomes' NOTIFYs are spent on the first pass: the rows beyond it must not
        wait a fallback poll per pass (at 50 rows per 15 s, a thousand "sim" took five minutes to
        reach the CRM, and their boletos with them)."""
        client, transport, admin = stack
        d = await four_contacts_queued(admin, sessionmaker)
        monkeypatch.setattr(crm_outbox, "PASS_LIMIT", 2)  # four rows: two full passes, then one that finds none
        stop = asyncio.Event()
        loop = asyncio.create_task(crm_outbox.run_outbox_loop(sessionmaker, client, stop, every=60))
        try:
            for _ in range(100):
                async with sessionmaker() as s:
                    pending = await s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status != "done"))
                if pending == 0:
                    break
                await asyncio.sleep(0.05)
            assert pending == 0  # all four within seconds, with no wake-up and a 60 s poll
        finally:
            stop.set()
            await asyncio.wait_for(loop, 5)
        logged = (await admin.get(f"/api/debtors/{d['id']}/contacts")).json()
        assert sorted(c["notes"] for c in logged) == [f"tentativa {i}" for i in range(4)]
        assert len([k for k in transport.keys if k and k.startswith("contact:")]) == 4  # each once

    async def test_an_unexpected_failure_mid_pass_gives_the_batch_back_at_once(
        self,
        stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient],
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        """Redis restarting under the client's breaker check: before, the exception left the pass and
        its whole batch stayed leased to the live process for the full lease (two minutes without
        outcomes, seen in the `redis-restart` load run). Now the row is retried shortly and the rest
        given back; with Redis back, every row goes out once."""
        client, _, admin = stack
        d = await four_contacts_queued(admin, sessionmaker)
        working = client.redis
        client.redis = aioredis.from_url("redis://127.0.0.1:1/0")  # nothing listens there: Redis is away
        try:
            assert await deliver_due(sessionmaker, client) == 0
        finally:
            await client.redis.aclose()
            client.redis = working
        async with sessionmaker() as s:
            rows = (await s.scalars(select(Outbox).order_by(Outbox.id))).all()
        assert [r.locked_until for r in rows] == [None] * 4  # nothing left leased
        assert [r.attempts for r in rows] == [1, 0, 0, 0]
        assert await crm_outbox.next_due(sessionmaker) is not None  # the loop knows when to look again
        async with sessionmaker() as s, s.begin():
            await s.execute(update(Outbox).values(next_attempt_at=datetime.now(UTC)))  # the short backoff ends
        assert await deliver_due(sessionmaker, client) == 4
        logged = (await admin.get(f"/api/debtors/{d['id']}/contacts")).json()
        assert sorted(c["notes"] for c in logged) == [f"tentativa {i}" for i in range(4)]

    async def test_rows_the_open_breaker_kept_from_the_crm_count_no_attempt(
        self,
        stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient],
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        """While the breaker is open nothing is tried, so nothing counts: an attempt per pass would grow
        each row's backoff through an outage and hold the outcomes back long after the CRM returns."""
        client, transport, admin = stack
        d = await four_contacts_queued(admin, sessionmaker)
        await client.redis.hset("certobot:crm:breaker", "open_until", time.time() + 60)
        before = transport.requests
        for _ in range(3):
            assert await deliver_due(sessionmaker, client) == 0
        assert transport.requests == before  # the CRM was not called
        async with sessionmaker() as s:
            rows = (await s.scalars(select(Outbox).order_by(Outbox.id))).all()
        assert [(r.attempts, r.locked_until) for r in rows] == [(0, None)] * 4
        await client.redis.delete("certobot:crm:breaker")  # the breaker closes
        assert await deliver_due(sessionmaker, client) == 4  # at once: no backoff was earned
        logged = (await admin.get(f"/api/debtors/{d['id']}/contacts")).json()
        assert len(logged) == 4

    async def test_once_the_crm_answers_again_rows_backing_off_for_it_go_at_once(
        self,
        stack: tuple[CrmClient, FlakyTransport, httpx.AsyncClient],
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        """The oldest row is tried first on every pass of an outage and earns the longest backoff; when
        a delivery succeeds again, it is not left waiting a minute behind the others."""
        client, transport, admin = stack
        d = await four_contacts_queued(admin, sessionmaker)
        transport.down = True
        assert await deliver_due(sessionmaker, client) == 0  # contact:0 met the CRM away
        transport.down = False
        await client.redis.delete("certobot:crm:breaker")
        async with sessionmaker() as s, s.begin():
            await s.execute(
                update(Outbox)
                .where(Outbox.idempotency_key == "contact:0")
                .values(attempts=6, next_attempt_at=datetime.now(UTC) + timedelta(seconds=64))
            )
        assert await deliver_due(sessionmaker, client) == 3  # the CRM is back: the other three
        assert await deliver_due(sessionmaker, client) == 1  # and the first with them, not a minute later
        logged = (await admin.get(f"/api/debtors/{d['id']}/contacts")).json()
        assert sorted(c["notes"] for c in logged) == [f"tentativa {i}" for i in range(4)]


class SlowCrm(FlakyTransport):
    """The real CRM app, each outbox POST taking a while: records how many were in flight at once,
    when each started and ended, and can go away after a number of answers."""

    def __init__(self, app: object, delay: float = 0.05) -> None:
        super().__init__(app)
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.down_after: int | None = None
        self.tried_while_down = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("idempotency-key") or ""
        if not key.startswith(("contact:", "outcome:")):
            return await super().handle_async_request(request)  # a lookup of the test's own
        if self.down_after is not None and len(self.ended) >= self.down_after:
            self.down = True
        if self.down:
            self.tried_while_down += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.started[key] = time.monotonic()
        try:
            await asyncio.sleep(self.delay)
            return await super().handle_async_request(request)
        finally:
            self.in_flight -= 1
            self.ended[key] = time.monotonic()


async def conversations_queued(
    admin: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], count: int
) -> list[str]:
    """`count` conversations, each with a contact-log entry and then its outcome waiting in the outbox."""
    ids = []
    for i in range(count):
        d = await create_debtor(admin)
        conv = f"sess-{i}"
        async with sessionmaker() as s, s.begin():
            entry = ContactRequest(kind="attempt", session_id=conv, notes=f"conversa {i}")
            await queue_contact(s, d["cpf"], entry, f"contact:{conv}")
            await queue_outcome(s, outcome(d["cpf"], session_id=conv))
        ids.append(conv)
    return ids


@pytest.fixture
async def slow_stack(database_url: str, redis_url: str) -> AsyncIterator[tuple[CrmClient, SlowCrm, httpx.AsyncClient]]:
    # A breaker that stays closed: the lanes, not the breaker, are what these tests watch.
    async with crm_stack(database_url, redis_url, SlowCrm, breaker_threshold=50) as made:
        yield made


class TestOutboxLanes:
    async def test_conversations_go_together_each_in_its_own_order(
        self, slow_stack: tuple[CrmClient, SlowCrm, httpx.AsyncClient], sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        """After a burst or an outage the backlog drains several conversations at a time (one POST at
        a time, each pass waited out every answer in turn), and a conversation's contact log still
        reaches the CRM before its outcome."""
        client, crm, admin = slow_stack
        convs = await conversations_queued(admin, sessionmaker, 8)
        assert await deliver_due(sessionmaker, client) == 16
        async with sessionmaker() as s:
            results = await s.scalar(select(func.count()).select_from(NegotiationResult))
        assert 2 <= crm.most_in_flight <= crm_outbox.LANES
        for conv in convs:  # the outcome left only once its contact entry was answered
            assert crm.ended[f"contact:{conv}"] <= crm.started[f"outcome:{conv}"]
        assert results == 8  # each outcome once

    async def test_a_crm_gone_mid_pass_stops_every_lane_and_gives_the_rest_back(
        self, slow_stack: tuple[CrmClient, SlowCrm, httpx.AsyncClient], sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        """The CRM goes away while several conversations are in flight: the rows in flight each count
        their attempt, no lane starts another row, and the rows not started are free again at once
        with no attempt counted (nothing leased for two minutes, no backoff earned)."""
        client, crm, admin = slow_stack
        await conversations_queued(admin, sessionmaker, 8)
        crm.down_after = 4
        delivered = await deliver_due(sessionmaker, client)
        async with sessionmaker() as s:
            rows = (await s.scalars(select(Outbox).order_by(Outbox.id))).all()
        done = [r for r in rows if r.status == "done"]
        tried = [r for r in rows if r.status == "pending" and r.attempts == 1]
        untried = [r for r in rows if r.status == "pending" and r.attempts == 0]
        assert delivered == len(done) >= 4
        assert 1 <= len(tried) <= crm_outbox.LANES  # at most the rows in flight met the CRM away
        assert len(done) + len(tried) + len(untried) == 16
        assert untried  # the rest was never sent …
        assert all(r.locked_until is None for r in rows)  # … and nothing stays leased
        # Lanes stop once the CRM is found away (stamina retries each in-flight POST a few times).
        assert crm.tried_while_down <= crm_outbox.LANES * 3
