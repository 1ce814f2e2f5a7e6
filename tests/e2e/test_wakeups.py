"""The bot's background loops start work the moment it exists, not at their next poll.

Every stack here runs with BACKGROUND_POLL_SECONDS at an hour: what happens within seconds was
started by a Postgres NOTIFY or by a deadline the loop computed, never by the fallback poll.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.negotiation import texts
from certobot.negotiation.models import Conversation
from certobot.whatsapp import intake, sweeper
from tests.e2e.conftest import make_stack
from tests.factories import create_debtor

HOUR = 3600.0


def digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


async def until(condition: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


class ShiftedClock:
    """The system time moved by a fixed amount: a deadline minutes away comes in a few real seconds."""

    def __init__(self, by: timedelta) -> None:
        self.by = by

    def now(self) -> datetime:
        return datetime.now(UTC) + self.by


class TestCampaigns:
    async def test_a_new_campaign_starts_sending_at_once(
        self, database_url: str, redis_url: str, engine: AsyncEngine
    ) -> None:
        async with make_stack(database_url, redis_url, background_poll_seconds=HOUR) as stack:
            first, second = await create_debtor(stack.crm), await create_debtor(stack.crm)
            r = await stack.bot.post("/api/campaigns", json={"cpfs": [first["cpf"]], "per_minute": 600})
            assert r.status_code == 202
            one = r.json()["id"]

            async def status() -> str:
                return str((await stack.bot.get(f"/api/campaigns/{one}")).json()["status"])

            async with asyncio.timeout(10):
                while await status() != "done":  # the runner ran, and has no campaign left to wait for
                    await asyncio.sleep(0.05)
            assert stack.graph.messages_to(digits(first["phone"]))

            started = time.monotonic()
            r = await stack.bot.post("/api/campaigns", json={"cpfs": [second["cpf"]], "per_minute": 600})
            assert r.status_code == 202
            await until(lambda: bool(stack.graph.messages_to(digits(second["phone"]))), timeout=10)
        assert time.monotonic() - started < 5  # woken by the NOTIFY of its creation: the poll is an hour away


class TestSweeper:
    async def test_a_message_stored_but_never_announced_is_answered(
        self, database_url: str, redis_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(sweeper, "GRACE_SECONDS", 0.5)
        async with make_stack(database_url, redis_url, background_poll_seconds=HOUR) as stack:
            d = await create_debtor(stack.crm)
            phone = digits(d["phone"])
            assert await stack.say(phone, "oi")  # the stack is up and answering

            async def redis_down(*_args: object) -> None:
                raise ConnectionError("Redis fora do ar")

            monkeypatch.setattr(intake, "announce", redis_down)
            replies = await stack.say(phone, d["cpf"][:3], wait=10)
        # Stored by the webhook, never on the stream: the webhook NOTIFYed the sweeper, which announced
        # it once it was GRACE_SECONDS old, and the worker answered.
        assert replies


class TestExpiry:
    async def test_a_silent_conversation_ends_at_its_deadline(
        self, database_url: str, redis_url: str, engine: AsyncEngine, db: AsyncSession
    ) -> None:
        timeout = 20
        clock = ShiftedClock(timedelta(seconds=timeout - 2))  # the deadline comes 2 s after the last message
        async with make_stack(
            database_url,
            redis_url,
            background_poll_seconds=HOUR,
            conversation_timeout_seconds=timeout,
            clock=clock,
        ) as stack:
            d = await create_debtor(stack.crm)
            phone = digits(d["phone"])
            assert await stack.say(phone, "oi", wait=10)
            last_activity = await db.scalar(select(func.max(Conversation.updated_at)))
            assert last_activity is not None
            await until(lambda: texts.TIMEOUT[0] in stack.graph.texts_to(phone), timeout=15)
            sessions = (await stack.bot.get("/api/conversations", params={"phone": phone})).json()["items"]
        goodbye = next(s for s in stack.graph.sent if s.body and s.body.get("text", {}).get("body") == texts.TIMEOUT[0])
        sent_at = datetime.fromtimestamp(goodbye.wall, UTC) + clock.by  # on the bot's clock
        deadline = last_activity + timedelta(seconds=timeout)
        assert sent_at >= deadline  # not before: the loop slept until the deadline...
        assert sent_at - deadline < timedelta(seconds=5)  # ...and woke at it, an hour before its poll
        assert sessions[0]["status"] == "abandoned"
