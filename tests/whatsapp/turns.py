"""What the turn tests share: a quiet stack's conversation, a message said and answered, a kill."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select, text

from certobot.negotiation.models import Conversation
from certobot.whatsapp.pipeline import Pipeline
from certobot.whatsapp.sender import Sender
from certokit.phones import phone_key
from tests.e2e.conftest import Stack
from tests.fakes import text_webhook


class Crash(BaseException):
    """A kill -9 as the code sees it: nothing after this point runs, no handler catches it."""


async def say(stack: Stack, pipeline: Pipeline, phone: str, words: str) -> list[str]:
    """The debtor writes; the worker's pass answers (and its records' window ends); what the debtor received."""
    before = len(stack.graph.texts_to(phone))
    assert (await stack.webhook(text_webhook(phone, words))).status_code == 200
    await pipeline.drain_once(flush=True)
    return stack.graph.texts_to(phone)[before:]


async def conversation(stack: Stack, phone: str) -> Conversation:
    async with stack.bot_app.state.resources.sessionmaker() as db:
        conv = await db.scalar(select(Conversation).where(Conversation.phone_key == phone_key(phone)))
    assert conv is not None
    return conv


@contextmanager
def killed_after_send(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Meta takes a reply and the process dies before writing it down — recorded at once or waiting
    for the worker's next statement alike."""

    async def killed(self: Sender, *args: Any) -> None:
        raise Crash

    def killed_waiting(self: Sender, *args: Any) -> bool:
        raise Crash

    with monkeypatch.context() as m:
        m.setattr(Sender, "_record_sent", killed)
        m.setattr(Sender, "_defer_record", killed_waiting)
        yield


async def sweep_after_the_lease(stack: Stack, phone: str) -> Conversation:
    """The dead worker's lease runs out (moved back, not waited for) and the sweeper's pass runs."""
    res = stack.bot_app.state.resources
    async with res.engine.begin() as conn:
        await conn.execute(
            text("UPDATE outbox SET locked_until = now() - interval '1 second' WHERE status = 'pending'")
        )
    conv = await conversation(stack, phone)
    await Sender(res).deliver_conversation(conv.id)
    return conv
