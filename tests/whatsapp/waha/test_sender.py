"""Sending through WAHA: any 201 body is a send, failures retried only when they cannot have been
sent, the opening as plain text to the chat WhatsApp knows, openings paced per minute."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from certobot.main import create_app
from certobot.negotiation.models import Conversation, Outbox
from certobot.whatsapp.models import Message
from certobot.whatsapp.outbound import queue_message
from certobot.whatsapp.sender import Sender
from certokit.clock import FixedClock
from certokit.whatsapp.graph import template_message
from tests.e2e.conftest import bot_settings
from tests.whatsapp.test_sender import conversation, drain, queue
from tests.whatsapp.waha.conftest import WAHA_URL, waha_overrides
from tests.whatsapp.waha.fake import FakeWaha

PHONE = "5511987654321"


async def _noop(*_: Any) -> None:
    return None


Factory = Callable[..., AbstractAsyncContextManager[tuple[Any, FakeWaha]]]


@pytest.fixture
def make_sending(database_url: str, redis_url: str, engine: AsyncEngine) -> Factory:
    @asynccontextmanager
    async def make(waha: FakeWaha | None = None, **overrides: Any) -> AsyncIterator[tuple[Any, FakeWaha]]:
        waha = waha or FakeWaha()
        clock = overrides.pop("clock", None)
        app = create_app(
            bot_settings(database_url, redis_url, run_background_workers=False, **waha_overrides(waha, **overrides)),
            turn_handler=_noop,
            http=httpx.AsyncClient(mounts={WAHA_URL: waha.transport}),
            clock=clock,
        )
        async with app.router.lifespan_context(app):
            yield app.state.resources, waha

    return make


async def messages(resources: Any, conv_id: str) -> list[Message]:
    async with resources.sessionmaker() as s:
        return list(await s.scalars(select(Message).where(Message.conversation_id == conv_id).order_by(Message.id)))


async def opening(resources: Any, conv_id: str, first_name: str = "Ana") -> None:
    async with resources.sessionmaker() as s, s.begin():
        await queue_message(
            s,
            conversation_id=conv_id,
            to=PHONE,
            message=template_message("cobranca_abertura", "pt_BR", [first_name, "Certo Recuperadora"]),
            transcript="[modelo]",
            key=f"opening:{conv_id}",
        )


class TestAnswers:
    @pytest.mark.parametrize("wire", ["WEBJS", "NOWEB", "empty"])
    async def test_any_201_body_is_a_send(
        self, make_sending: Factory, wire: Literal["WEBJS", "NOWEB", "empty"]
    ) -> None:
        async with make_sending(FakeWaha(engine=wire)) as (resources, waha):
            conv_id = await conversation(resources)
            await queue(resources, conv_id, ["primeira", "segunda"])
            assert await Sender(resources).deliver_conversation(conv_id) == 2
            assert waha.texts_to(PHONE) == ["primeira", "segunda"]
            rows = await messages(resources, conv_id)
            assert [m.status for m in rows] == ["sent", "sent"]
            if wire == "empty":
                assert all(m.wamid is None for m in rows)  # acks cannot be matched, the send still counts
            else:
                # The id WAHA's `message.ack` will name: `true_<chat>_<id>` on both engines.
                assert all((m.wamid or "").startswith(f"true_{PHONE}@c.us_") for m in rows)

    async def test_every_call_names_the_session_and_carries_the_key(self, make_sending: Factory) -> None:
        async with make_sending(FakeWaha(session="cobranca")) as (resources, waha):
            conv_id = await conversation(resources)
            await queue(resources, conv_id, ["olá"])
            await Sender(resources).deliver_conversation(conv_id)
            assert waha.texts_to(PHONE) == ["olá"]
            assert {c.api_key for c in waha.calls} == {"waha-test-key"}
            assert all(c.body["session"] == "cobranca" for c in waha.calls if c.body is not None)


class TestFailures:
    async def test_503_and_refused_connections_are_retried_then_sent_once_in_order(self, make_sending: Factory) -> None:
        async with make_sending() as (resources, waha):
            conv_id = await conversation(resources)
            texts = [f"mensagem {i}" for i in range(4)]
            await queue(resources, conv_id, texts)
            waha.fail_next(2, 503)
            waha.fail_next(1, httpx.ConnectError)
            await drain(resources, Sender(resources), conv_id)
            assert waha.texts_to(PHONE) == texts
            assert [m.status for m in await messages(resources, conv_id)] == ["sent"] * 4

    async def test_a_session_waiting_for_its_qr_code_holds_the_messages_until_it_works(
        self, make_sending: Factory
    ) -> None:
        async with make_sending(FakeWaha(status="SCAN_QR_CODE")) as (resources, waha):
            conv_id = await conversation(resources)
            await queue(resources, conv_id, ["primeira", "segunda"])
            sender = Sender(resources)
            await drain(resources, sender, conv_id, passes=3)
            assert waha.sends() == []
            async with resources.sessionmaker() as s:
                row = await s.scalar(select(Outbox).where(Outbox.conversation_id == conv_id).order_by(Outbox.id))
                assert row is not None
                assert row.status == "pending"
                assert "Session status is not as expected" in (row.last_error or "")
            waha.status = "WORKING"  # the phone scanned the QR code
            await drain(resources, sender, conv_id)
            assert waha.texts_to(PHONE) == ["primeira", "segunda"]

    async def test_a_refusal_is_final_recorded_and_the_next_message_goes(self, make_sending: Factory) -> None:
        async with make_sending() as (resources, waha):
            conv_id = await conversation(resources)
            await queue(resources, conv_id, ["recusada", "seguinte"])
            waha.fail_next(1, 400)
            await drain(resources, Sender(resources), conv_id)
            assert waha.texts_to(PHONE) == ["seguinte"]
            first, second = await messages(resources, conv_id)
            assert (first.status, second.status) == ("failed", "sent")
            assert first.error == {"status": 400, "code": 400, "message": "injected failure"}

    async def test_a_timeout_after_sending_is_not_repeated(self, make_sending: Factory) -> None:
        async with make_sending() as (resources, waha):
            conv_id = await conversation(resources)
            await queue(resources, conv_id, ["talvez entregue"])
            waha.fail_next(1, httpx.ReadTimeout)
            await drain(resources, Sender(resources), conv_id)
            attempts = [c for c in waha.calls if c.path == "/api/sendText"]
            assert len(attempts) == 1  # a debtor never reads it twice
            [row] = await messages(resources, conv_id)
            assert row.status == "failed"


class TestOpening:
    async def test_template_goes_as_plain_text_to_the_chat_whatsapp_knows(self, make_sending: Factory) -> None:
        # An account from before the ninth digit: WhatsApp knows it as 55 11 8765-4321.
        waha = FakeWaha(chat_ids={PHONE: "551187654321@c.us"})
        async with make_sending(waha) as (resources, waha):
            conv_id = await conversation(resources)
            await opening(resources, conv_id)
            await Sender(resources).deliver_conversation(conv_id)
            [sent] = waha.sends()
            assert sent.body is not None
            assert sent.path == "/api/sendText"
            assert sent.body["chatId"] == "551187654321@c.us"
            assert sent.body["text"] == (
                "Olá, Ana! Aqui é a Certo Recuperadora. Para sua segurança, responda com os 3 primeiros "
                "dígitos do seu CPF."
            )
            async with resources.sessionmaker() as s:
                conv = await s.get(Conversation, conv_id)
                assert conv is not None
                assert conv.wa_id == "551187654321"  # what the next sends and the inbound key agree on

    async def test_openings_beyond_the_minute_allowance_wait_for_the_next_minute(self, make_sending: Factory) -> None:
        clock = FixedClock(datetime(2030, 3, 4, 13, 0, 5, tzinfo=UTC))
        async with make_sending(waha_openings_per_minute=2, clock=clock) as (resources, waha):
            convs = [await conversation(resources, f"+55119876500{i:02d}") for i in range(3)]
            for c in convs:
                await opening(resources, c)
            sender = Sender(resources)
            for c in convs:
                await sender.deliver_conversation(c)
            assert len(waha.sends()) == 2
            async with resources.sessionmaker() as s:
                row = await s.scalar(select(Outbox).where(Outbox.conversation_id == convs[2]))
                assert row is not None
                assert row.status == "pending"
                assert "limite de aberturas" in (row.last_error or "")
                row.next_attempt_at = row.created_at
                await s.commit()
            await sender.deliver_conversation(convs[2])
            assert len(waha.sends()) == 2  # same minute: still waiting
            clock.advance(timedelta(minutes=1))
            async with resources.sessionmaker() as s, s.begin():
                row = await s.scalar(select(Outbox).where(Outbox.conversation_id == convs[2]))
                assert row is not None
                row.next_attempt_at = row.created_at
            await sender.deliver_conversation(convs[2])
            assert len(waha.sends()) == 3


class TestPacing:
    async def test_each_send_shows_typing_first(self, make_sending: Factory) -> None:
        async with make_sending(waha_send_delay_min_seconds=0.01, waha_send_delay_max_seconds=0.02) as (
            resources,
            waha,
        ):
            conv_id = await conversation(resources)
            await queue(resources, conv_id, ["oi"])
            await Sender(resources).deliver_conversation(conv_id)
            assert [c.path for c in waha.calls if c.path != "/api/contacts/check-exists"] == [
                "/api/startTyping",
                "/api/stopTyping",
                "/api/sendText",
            ]
