"""The CPF challenge and the bot's tone, through the whole stack."""

from __future__ import annotations

import itertools

from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.fakes import text_webhook


class TestChallenge:
    async def test_a_story_does_not_use_up_an_attempt(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987653001")
        p = d["phone"].lstrip("+")
        await stack.say(p, "oi")
        reply = await stack.say(p, "recebi msg de vcs dia 15... tenho 2 filhos e tô sem tempo")
        assert "tentativa" not in reply[0]
        items = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"]
        detail = (await stack.bot.get(f"/api/conversations/{items[0]['session_id']}")).json()
        assert detail["validation_attempts"] == 0


class TestTone:
    async def test_media_notice_is_never_the_same_twice_in_a_row(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987653002")
        p = d["phone"].lstrip("+")
        await stack.say(p, "oi")
        seen: list[str] = []
        for _ in range(4):
            body = text_webhook(p, "x")
            msg = body["entry"][0]["changes"][0]["value"]["messages"][0]
            msg.pop("text")
            msg["type"], msg["audio"] = "audio", {"id": "123", "mime_type": "audio/ogg"}
            before = len(stack.graph.messages_to(p))
            assert (await stack.webhook(body)).status_code == 200
            seen += await stack.replies(p, before)
        assert all(a != b for a, b in itertools.pairwise(seen))
