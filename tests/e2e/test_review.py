"""The team's workplace: what the bot did not understand (labelled, exported, learned), the switch
"everything to people", and the live feed the console listens to."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from typer.testing import CliRunner

from certobot.live.feed import Event, LiveFeed
from certobot.negotiation import classifier, texts
from certobot.negotiation.nlu import Intent, understand
from certobot.whatsapp.models import Message
from tests.e2e.conftest import Stack
from tests.e2e.test_sensitive import validated
from tests.factories import create_debtor
from tests.fakes import text_webhook
from tests.security.test_operators import user

MISUNDERSTOOD = "me dá um chorinho aí"
SIMILAR = "me da um chorinho ae"  # not the same text: what another debtor writes next month


async def queue(stack: Stack, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    r = await stack.bot.get("/api/review", params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def transcript_has(stack: Stack, session_id: str, text: str) -> bool:
    for _ in range(100):
        lines = (await stack.bot.get(f"/api/conversations/{session_id}")).json()["transcript"]
        if any(line["text"] == text for line in lines):
            return True
        await asyncio.sleep(0.1)
    return False


class TestReviewQueue:
    async def test_misunderstood_message_is_labelled_exported_and_then_understood(
        self, stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _, phone = await validated(stack, phone="+5511987652001")
        reply = await stack.say(phone, MISUNDERSTOOD)
        assert "entendi" in reply[0].lower() or "peguei" in reply[0].lower()  # the bot's fallback
        await stack.say(phone, "quero parcelar em 3x")  # understood: not for the queue

        sup = await user(stack, "bia.supervisora", "supervisor")
        page = await queue(stack, sup)
        assert page["total"] == 1
        item = page["items"][0]
        assert (item["text"], item["reason"], item["understood"], item["label"]) == (
            MISUNDERSTOOD,
            "fallback",
            "unknown",
            None,
        )
        context = item["context"]
        target = next(i for i, line in enumerate(context) if line["target"])
        assert context[target]["text"] == MISUNDERSTOOD
        assert context[target - 1]["author"] == "bot"  # what the bot had said before
        assert context[target + 1]["text"] == reply[0]  # and what it answered
        assert "cash" in page["intents"]
        assert "unknown" not in page["intents"]

        r = await stack.bot.put(f"/api/review/{item['id']}", json={"label": "desconto"}, headers=sup)
        assert r.status_code == 422
        assert r.json()["detail"] == "Rótulo desconhecido: escolha uma intenção da lista ou 'ignorar'."
        r = await stack.bot.put(f"/api/review/{item['id']}", json={"label": "cash"}, headers=sup)
        assert r.status_code == 200, r.text
        assert (r.json()["label"], r.json()["labelled_by"]) == ("cash", "bia.supervisora")
        assert (await queue(stack, sup))["total"] == 0  # nothing pending
        assert (await queue(stack, sup, status="labelled"))["items"][0]["label"] == "cash"
        labels = (await stack.bot.get("/api/audit", params={"action": "review_label"})).json()
        assert [(e["actor"], e["target"], e["detail"]) for e in labels] == [
            ("bia.supervisora", str(item["id"]), {"label": "cash"})
        ]

        r = await stack.bot.get("/api/review/export", headers=sup)
        assert r.status_code == 200
        assert r.text == json.dumps({"text": MISUNDERSTOOD, "intent": "cash"}, ensure_ascii=False) + "\n"

        # The next release: the export lands in the labelled folder and the classifier trains on it.
        (tmp_path / "2026-12-01.jsonl").write_text(r.text, encoding="utf-8")
        before = understand(SIMILAR, date.today())
        assert before.intent is Intent.unknown
        retrained = classifier.train(classifier.load_rows() + classifier.load_labelled(tmp_path))
        monkeypatch.setattr(classifier, "model", lambda: retrained)
        assert understand(SIMILAR, date.today()).intent is Intent.cash

    async def test_handoff_is_queued_and_operators_cannot_label(self, stack: Stack) -> None:
        _, phone = await validated(stack, phone="+5511987652002")
        await stack.say(phone, "quero falar com um atendente")
        op = await user(stack, "caio.operador", "operator")
        assert (await stack.bot.get("/api/review", headers=op)).status_code == 403
        item = (await queue(stack))["items"][0]
        assert (item["reason"], item["reason_label"], item["understood"]) == (
            "handoff",
            "Passou para atendente",
            "human",
        )
        r = await stack.bot.put(f"/api/review/{item['id']}", json={"label": "cash"}, headers=op)
        assert r.status_code == 403
        r = await stack.bot.put(f"/api/review/{item['id']}", json={"label": "ignorar"})
        assert r.status_code == 200
        assert (await stack.bot.get("/api/review/export")).text == ""  # ignored ones teach nothing

    async def test_each_item_of_a_page_has_its_own_context(self, stack: Stack) -> None:
        _, phone = await validated(stack, phone="+5511987652005")
        first = await stack.say(phone, MISUNDERSTOOD)
        second = await stack.say(phone, "xablau zureta")
        page = await queue(stack, page_size=5)
        assert [i["text"] for i in page["items"]] == ["xablau zureta", MISUNDERSTOOD]  # newest first
        for item, reply in zip(page["items"], (second, first), strict=True):
            lines = [line["text"] for line in item["context"]]
            at = next(i for i, line in enumerate(item["context"]) if line["target"])
            assert lines[at] == item["text"]
            assert lines[at + 1] == reply[0]
            assert len(lines[:at]) == 4  # up to four before, whatever else the page holds
        assert [line["text"] for line in page["items"][0]["context"]][2:4] == [MISUNDERSTOOD, first[0]]

    async def test_a_message_not_in_the_queue_is_404(self, stack: Stack, db: AsyncSession) -> None:
        await validated(stack, phone="+5511987652003")
        understood = await db.scalar(select(Message.id).where(Message.direction == "in").order_by(Message.id.desc()))
        assert understood is not None
        r = await stack.bot.put(f"/api/review/{understood}", json={"label": "cash"})
        assert r.status_code == 404
        assert r.json()["detail"] == "Mensagem não encontrada na fila de não entendidas."

    async def test_cli_writes_the_export(
        self, stack: Stack, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _, phone = await validated(stack, phone="+5511987652004")
        await stack.say(phone, MISUNDERSTOOD)
        item = (await queue(stack))["items"][0]
        assert (await stack.bot.put(f"/api/review/{item['id']}", json={"label": "cash"})).status_code == 200
        from certobot.cli import app

        monkeypatch.setenv("DATABASE_URL", database_url)
        out = tmp_path / "labelled" / "hoje.jsonl"
        result = await asyncio.to_thread(CliRunner().invoke, app, ["review", "export", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "1 mensagens rotuladas" in result.output
        assert classifier.load_labelled(tmp_path / "labelled") == [(MISUNDERSTOOD, "cash")]


class TestEverythingToPeople:
    async def test_switch_sends_new_messages_to_people_and_back(self, stack: Stack) -> None:
        op = await user(stack, "caio.operador", "operator")
        assert (await stack.bot.put("/api/handoff-all", json={"on": True}, headers=op)).status_code == 403
        sup = await user(stack, "bia.supervisora", "supervisor")
        r = await stack.bot.put("/api/handoff-all", json={"on": True}, headers=sup)
        assert r.status_code == 200, r.text
        assert (await stack.bot.get("/api/handoff-all", headers=op)).json()["on"] is True

        ana = await create_debtor(stack.crm, phone="+5511987652011", debt="1500.00")
        phone = ana["phone"].lstrip("+")
        reply = await stack.say(phone, "oi, quanto eu devo?")
        assert reply == [texts.TO_PEOPLE[0]]
        assert "1.500" not in reply[0]
        assert "R$" not in reply[0]
        conv = (await stack.bot.get("/api/conversations", params={"phone": ana["phone"]})).json()["items"][0]
        assert conv["status"] == "handoff"
        before = len(stack.graph.messages_to(phone))
        r = await stack.webhook(text_webhook(phone, "alô?"))
        assert r.status_code == 200
        assert await transcript_has(stack, conv["session_id"], "alô?")  # processed, then:
        assert len(stack.graph.messages_to(phone)) == before  # the person answers, not the bot

        assert (await stack.bot.put("/api/handoff-all", json={"on": False}, headers=sup)).status_code == 200
        bia = await create_debtor(stack.crm, phone="+5511987652012")
        greeting = await stack.say(bia["phone"].lstrip("+"), "oi")
        assert "CPF" in greeting[0]  # the bot again
        again = (await stack.bot.get("/api/conversations", params={"phone": ana["phone"]})).json()["items"][0]
        assert again["status"] == "handoff"  # already taken: stays with the team
        flips = (await stack.bot.get("/api/audit", params={"action": "handoff_all"})).json()
        assert [(e["actor"], e["detail"]) for e in flips] == [
            ("bia.supervisora", {"on": False}),
            ("bia.supervisora", {"on": True}),
        ]


class TestLiveFeed:
    async def test_a_turn_commit_reaches_a_subscriber_by_notify(self, stack: Stack, engine: AsyncEngine) -> None:
        resources = stack.bot_app.state.resources
        feed = LiveFeed(resources.settings.database_url, resources.sessionmaker)
        queue_ = feed.subscribe()
        try:
            await asyncio.wait_for(feed.listening.wait(), 10)
            assert await asyncio.wait_for(queue_.get(), 5) == Event("resync")
            d = await create_debtor(stack.crm, phone="+5511987652021")
            await stack.say(d["phone"].lstrip("+"), "oi")
            conv = (await stack.bot.get("/api/conversations", params={"phone": d["phone"]})).json()["items"][0]
            got = await asyncio.wait_for(queue_.get(), 5)
            assert got == Event("conversation", conv["session_id"])
            r = await stack.bot.put("/api/handoff-all", json={"on": True})
            assert r.status_code == 200
            while (got := await asyncio.wait_for(queue_.get(), 5)).kind != "switch":
                continue  # conversation events of the same moment come first; the switch's follows
            assert got == Event("switch", "handoff_all")
        finally:
            await feed.aclose()


class TestEventStream:
    async def test_needs_the_token(self, stack: Stack) -> None:
        r = await stack.bot.get("/api/events", headers={"Authorization": ""})
        assert r.status_code == 401

    async def test_a_debtor_message_is_pushed_over_http(self, stack: Stack) -> None:
        """Through a real server: ASGITransport would hold the body until the stream ends."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(stack.bot_app, port=port, lifespan="off", log_level="warning"))
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.05)
            d = await create_debtor(stack.crm, phone="+5511987652031")
            headers = {"Authorization": "Bearer test-operator-key"}
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
                client.stream("GET", "/api/events", headers=headers) as r,
            ):
                assert r.status_code == 200
                assert r.headers["content-type"].startswith("text/event-stream")
                lines = r.aiter_lines()
                assert await anext(lines) == "retry: 3000"
                sent = asyncio.create_task(stack.say(d["phone"].lstrip("+"), "oi"))
                seen = []
                while not any(line.startswith("data:") and "-" in line for line in seen):
                    seen.append(await asyncio.wait_for(anext(lines), 10))
                await sent
            conv = (await stack.bot.get("/api/conversations", params={"phone": d["phone"]})).json()["items"][0]
            assert "event: conversation" in seen
            assert f'data: {{"id": "{conv["session_id"]}"}}' in seen
        finally:
            server.should_exit = True
            await serving
