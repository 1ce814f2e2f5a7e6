"""What operators do: open conversations within the rules, take one over, run a campaign."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.campaigns.models import CampaignItem
from certobot.campaigns.runner import tick
from certobot.config import BotSettings
from certobot.conversations.contact_policy import refusal, within_contact_hours
from certobot.crm.schemas import DebtorInfo
from certokit.clock import FixedClock
from tests.e2e.conftest import Stack, make_stack
from tests.factories import create_debtor

SP = ZoneInfo("America/Sao_Paulo")


def info(**extra: object) -> DebtorInfo:
    base = {
        "cpf": "11144477735",
        "name": "Ana",
        "phone": "+5511987654321",
        "debt_amount": "100.00",
        "due_date": "2026-01-01",
        "days_past_due": 300,
        "negotiation_params": {"max_discount_percentage": "10", "min_payment_amount": "50", "max_installments": 2},
    }
    return DebtorInfo.model_validate({**base, **extra})


class TestContactRules:
    def test_hours_and_holidays_in_sao_paulo(self) -> None:
        s = BotSettings(_env_file=None, holidays="2026-12-25")  # type: ignore[call-arg]
        monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SP)
        assert within_contact_hours(monday_9, s)
        assert not within_contact_hours(datetime(2026, 11, 23, 20, 30, tzinfo=SP), s)
        assert within_contact_hours(datetime(2026, 11, 28, 13, 59, tzinfo=SP), s)  # Saturday
        assert not within_contact_hours(datetime(2026, 11, 28, 14, 0, tzinfo=SP), s)
        assert not within_contact_hours(datetime(2026, 11, 29, 10, 0, tzinfo=SP), s)  # Sunday
        assert not within_contact_hours(datetime(2026, 12, 25, 10, 0, tzinfo=SP), s)  # holiday
        # 22:30 UTC on a Monday is 19:30 in São Paulo: still allowed.
        assert within_contact_hours(datetime(2026, 11, 23, 22, 30, tzinfo=UTC), s)

    def test_each_refusal_has_its_reason(self) -> None:
        s = BotSettings(_env_file=None, contact_hours="mon-sun 00:00-24:00")  # type: ignore[call-arg]
        now = datetime(2026, 11, 23, 12, 0, tzinfo=SP)
        assert refusal(info(), now, s) is None
        assert "opt-out" in (refusal(info(opted_out=True), now, s) or "")
        assert "paga" in (refusal(info(debt_status="paid"), now, s) or "")
        assert "prescrita" in (refusal(info(prescribed=True), now, s) or "")
        assert "prometeu pagar em 10/12/2026" in (refusal(info(promised_payment_date="2026-12-10"), now, s) or "")
        recent = (now - timedelta(hours=2)).isoformat()
        assert "recente" in (refusal(info(last_contact_at=recent), now, s) or "")


class TestStartConversation:
    async def test_opening_template_to_the_registered_phone(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650101", name="Ana Lúcia")
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        assert r.status_code == 202
        session_id = r.json()["session_id"]
        for _ in range(100):
            sent = stack.graph.messages_to("5511987650101")
            if sent:
                break
            await asyncio.sleep(0.1)
        assert sent[0]["type"] == "template"
        assert sent[0]["template"]["components"][0]["parameters"][0]["text"] == "Ana"
        again = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        assert again.status_code == 409
        assert again.json()["detail"] == "Já existe uma conversa ativa com este devedor."
        replies = await stack.say("5511987650101", d["cpf"][:3])
        assert "Identidade confirmada" in replies[0]
        detail = (await stack.bot.get(f"/api/conversations/{session_id}")).json()
        assert detail["phase"] == "negotiation"
        assert [line["author"] for line in detail["transcript"]][:2] == ["bot", "debtor"]
        assert detail["transcript"][1]["text"] == "•••"  # the digits typed are masked

    async def test_opted_out_debtor_is_refused_with_the_reason(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm)
        await stack.crm.post(f"/api/debtors/{d['cpf']}/contacts", json={"kind": "opt_out"})
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        assert r.status_code == 422
        assert "opt-out" in r.json()["detail"]
        assert stack.graph.sent == []

    async def test_outside_contact_hours_is_refused(
        self, database_url: str, redis_url: str, engine: AsyncEngine
    ) -> None:
        today = datetime.now(SP).date().isoformat()
        async with make_stack(database_url, redis_url, holidays=today) as stack:
            d = await create_debtor(stack.crm)
            r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
            assert r.status_code == 422
            assert "Fora do horário permitido" in r.json()["detail"]

    async def test_operator_api_needs_the_key(self, stack: Stack) -> None:
        r = await stack.bot.get("/api/conversations", headers={"Authorization": "Bearer errada"})
        assert r.status_code == 401


class TestHandoff:
    async def test_bot_is_silent_after_handoff_and_operator_writes(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650102")
        phone = "5511987650102"
        await stack.say(phone, "oi")
        session_id = (await stack.bot.get("/api/conversations", params={"phone": phone})).json()["items"][0][
            "session_id"
        ]
        r = await stack.bot.post(f"/api/conversations/{session_id}/handoff", json={})
        assert r.json()["status"] == "handoff"
        before = len(stack.graph.messages_to(phone))
        await stack.webhook(__import__("tests.fakes", fromlist=["text_webhook"]).text_webhook(phone, d["cpf"][:3]))
        await asyncio.sleep(1.5)
        assert len(stack.graph.messages_to(phone)) == before  # the bot said nothing
        w = await stack.bot.post(
            f"/api/conversations/{session_id}/messages", json={"text": "Oi, aqui é a Carla da equipe."}
        )
        assert w.status_code == 202
        for _ in range(100):
            if "Oi, aqui é a Carla da equipe." in stack.graph.texts_to(phone):
                break
            await asyncio.sleep(0.1)
        assert "Oi, aqui é a Carla da equipe." in stack.graph.texts_to(phone)

    async def test_operator_cannot_write_without_taking_over(self, stack: Stack) -> None:
        await create_debtor(stack.crm, phone="+5511987650103")
        await stack.say("5511987650103", "oi")
        session_id = (await stack.bot.get("/api/conversations", params={"phone": "5511987650103"})).json()["items"][0][
            "session_id"
        ]
        r = await stack.bot.post(f"/api/conversations/{session_id}/messages", json={"text": "oi"})
        assert r.status_code == 409


class TestCampaign:
    async def test_thousand_debtors_each_opened_once_at_pace_and_resumed(
        self, database_url: str, redis_url: str, engine: AsyncEngine, db: AsyncSession
    ) -> None:
        async with make_stack(database_url, redis_url, crm_seed=1000, run_background_workers=False) as stack:
            r = await stack.bot.post("/api/campaigns", json={"name": "Todos", "filter": {}, "per_minute": 600})
            assert r.status_code == 202
            campaign_id = r.json()["id"]
            resources = stack.bot_app.state.resources
            start = datetime.now(UTC)
            now = start
            # The first half, one simulated second at a time (600/min = 10 per second).
            while (
                await db.scalar(select(func.count()).select_from(CampaignItem).where(CampaignItem.status != "queued"))
            ) < 500:
                await tick(resources, now)
                now += timedelta(seconds=1)
                await db.rollback()
            sent_first = len(stack.graph.sent)
            elapsed_first = (now - start).total_seconds()
        # The process dies; a new one picks up where the rows say.
        async with make_stack(database_url, redis_url, crm_seed=1000, run_background_workers=False) as stack2:
            resources = stack2.bot_app.state.resources
            for _ in range(200):
                if not await tick(resources, now):
                    done = (await stack2.bot.get(f"/api/campaigns/{campaign_id}")).json()
                    if done["status"] == "done":
                        break
                now += timedelta(seconds=1)
            view = (await stack2.bot.get(f"/api/campaigns/{campaign_id}")).json()
            templates = [
                b["to"]
                for b in (s.body for s in stack.graph.sent + stack2.graph.sent)
                if b and b.get("type") == "template"
            ]
        assert view["total"] == 1000
        assert view["progress"]["queued"] == 0
        assert view["progress"]["sent"] + view["progress"]["refused"] == 1000
        assert view["progress"]["refused"] > 0  # prescribed debts are never contacted
        assert len(templates) == view["progress"]["sent"]
        assert max(Counter(templates).values()) == 1  # each opening exactly once
        assert 9 <= sent_first / elapsed_first <= 11.5  # the pace: 600 per minute, give or take a tick


class TestUnanswered:
    async def test_unanswered_opening_ends_as_no_contact_without_a_second_message(
        self, stack: Stack, db: AsyncSession
    ) -> None:
        from sqlalchemy import update

        from certobot.negotiation.expiry import expire_due
        from certobot.negotiation.models import Conversation

        d = await create_debtor(stack.crm, phone="+5511987650401")
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        for _ in range(50):
            if stack.graph.messages_to("5511987650401"):
                break
            await asyncio.sleep(0.1)
        await db.execute(update(Conversation).values(updated_at=datetime.now(UTC) - timedelta(hours=1)))
        await db.commit()
        app = stack.bot_app
        assert await expire_due(app.state.resources, app.state.turn_handler) == [r.json()["session_id"]]
        outcome = await stack.outcome("5511987650401")
        assert outcome is not None
        assert outcome["outcome"] == "no_contact"
        await asyncio.sleep(0.5)
        assert [m["type"] for m in stack.graph.messages_to("5511987650401")] == ["template"]


class TestCli:
    def test_csv_with_or_without_header(self, tmp_path: object) -> None:
        from pathlib import Path

        from certobot.cli import read_cpfs

        base = Path(str(tmp_path))
        (base / "a.csv").write_text("nome,cpf\nAna,111.444.777-35\nBia,123\n", encoding="utf-8")
        (base / "b.csv").write_text("11144477735\n52998224725\n", encoding="utf-8")
        assert read_cpfs(base / "a.csv") == ["11144477735"]
        assert read_cpfs(base / "b.csv") == ["11144477735", "52998224725"]


def coming(weekday: int, hour: int) -> datetime:
    """The next such weekday after today, at that hour in São Paulo: always in the future."""
    today = datetime.now(SP).date()
    days = (weekday - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=SP)


class TestCampaignHours:
    async def test_pauses_outside_hours_and_resumes_inside(
        self, database_url: str, redis_url: str, engine: AsyncEngine, db: AsyncSession
    ) -> None:
        sunday = coming(6, 11)
        clock = FixedClock(sunday)
        async with make_stack(
            database_url, redis_url, run_background_workers=False, contact_hours="mon-fri 08:00-20:00", clock=clock
        ) as stack:
            cpfs = [(await create_debtor(stack.crm))["cpf"] for _ in range(3)]
            r = await stack.bot.post("/api/campaigns", json={"cpfs": cpfs, "per_minute": 600})
            campaign_id = r.json()["id"]
            resources = stack.bot_app.state.resources
            assert await tick(resources) == 0
            view = (await stack.bot.get(f"/api/campaigns/{campaign_id}")).json()
            assert view["progress"]["queued"] == 3
            assert view["paused_reason"] == "Fora do horário de contato: retoma sozinha quando a janela abrir."
            clock.set(sunday + timedelta(hours=22))  # Monday 09:00
            opened = 0
            for _ in range(5):
                opened += await tick(resources)
                clock.advance(timedelta(seconds=1))
            assert opened == 3
        assert len([s for s in stack.graph.sent if s.body and s.body["type"] == "template"]) == 3
