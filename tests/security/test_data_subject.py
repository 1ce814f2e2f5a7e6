"""A debtor exercises LGPD rights: export everything held about them, then have it erased in both
services, leaving the creditor's record of outcomes and amounts; retention does the same by itself."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.base import BotBase
from certobot.negotiation.models import Conversation
from certobot.privacy.retention import retention_pass
from certokit.clock import FixedClock
from mock_crm.base import CrmBase
from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.security.test_operators import user


async def dump(db: AsyncSession) -> str:
    """Every row of every table of both services, as text: what a database dump would show."""
    rows: list[str] = []
    for table in [*CrmBase.metadata.sorted_tables, *BotBase.metadata.sorted_tables]:
        result = await db.execute(text(f"SELECT CAST(t AS text) FROM {table.name} t"))
        rows.extend(str(r[0]) for r in result)
    return "\n".join(rows)


async def conversation_that_ended(stack: Stack, phone: str, cpf: str) -> str:
    await stack.say(phone, "oi")
    await stack.say(phone, cpf[:3])
    await stack.say(phone, f"meu cpf completo é {cpf}")
    await stack.say(phone, "PARAR")
    outcome = await stack.outcome(phone)
    assert outcome is not None
    return str(outcome["session_id"])


class TestExportAndErase:
    async def test_export_then_erase_leaves_no_cpf_or_phone_in_either_database(
        self, stack: Stack, db: AsyncSession
    ) -> None:
        d = await create_debtor(stack.crm, name="Joana Prado", debt="2500.00", phone="+5511987651601")
        cpf, phone = d["cpf"], d["phone"].lstrip("+")
        sid = await conversation_that_ended(stack, phone, cpf)

        op = await user(stack, "op.lgpd", "operator")
        assert (await stack.bot.post("/api/data-subject/export", json={"cpf": cpf}, headers=op)).status_code == 403
        sup = await user(stack, "sup.lgpd", "supervisor")
        r = await stack.bot.post("/api/data-subject/export", json={"cpf": cpf}, headers=sup)
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["crm"]["cadastro"]["nome"] == "Joana Prado"
        assert data["crm"]["cadastro"]["cpf"] == cpf
        assert data["crm"]["dividas"][0]["valor_centavos"] == 250000
        assert [c["sessao"] for c in data["atendimento"]["conversas"]] == [sid]
        assert any(m["quem"] == "debtor" for m in data["atendimento"]["conversas"][0]["mensagens"])
        assert (await stack.bot.post("/api/data-subject/erase", json={"cpf": cpf}, headers=sup)).status_code == 403

        before = await dump(db)
        assert cpf not in before  # sealed at rest (see test_sealing.py); the erase removes the rest
        assert "Joana" in before  # the name is not sealed: what the erase has to remove
        r = await stack.bot.post("/api/data-subject/erase", json={"cpf": cpf})  # the service key: admin
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "anonimizado", "conversas": 1, "crm": True}

        after = await dump(db)
        assert cpf not in after
        assert phone[2:] not in after  # neither with nor without +55
        assert "Joana" not in after
        assert (await stack.crm.get(f"/api/debtors/{cpf}")).status_code == 404
        assert (await stack.crm.get(f"/api/negotiations/results/{sid}")).status_code == 410
        listed = (await stack.crm.get("/api/debtors", params={"phone": d["phone"]})).json()
        assert listed["items"] == []
        # the creditor keeps what happened and the amounts
        assert "250000" in after
        conv = await db.get(Conversation, sid)
        assert conv is not None
        assert conv.outcome_kind == "unsuccessful"  # opted out after identity
        log = (await stack.bot.get("/api/audit")).json()
        actions = [(e["actor"], e["action"], e["target"]) for e in log]
        assert ("service-key", "erase", f"***.***.***-{cpf[-2:]}") in actions
        assert ("sup.lgpd", "export", f"***.***.***-{cpf[-2:]}") in actions
        # asked again: nothing left to find
        again = await stack.bot.post("/api/data-subject/export", json={"cpf": cpf})
        assert again.status_code == 404

    async def test_no_erase_in_the_middle_of_a_conversation(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987651602")
        await stack.say(d["phone"].lstrip("+"), "oi")
        r = await stack.bot.post("/api/data-subject/erase", json={"cpf": d["cpf"]})
        assert r.status_code == 409
        assert "em andamento" in r.json()["detail"]

    async def test_an_invalid_cpf_is_a_422(self, stack: Stack) -> None:
        r = await stack.bot.post("/api/data-subject/export", json={"cpf": "123.456.789-00"})
        assert r.status_code == 422


class TestRetention:
    async def test_closed_conversations_are_anonymised_after_the_period(self, stack: Stack, db: AsyncSession) -> None:
        d = await create_debtor(stack.crm, phone="+5511987651603")
        cpf, phone = d["cpf"], d["phone"].lstrip("+")
        sid = await conversation_that_ended(stack, phone, cpf)
        resources = stack.bot_app.state.resources
        now = resources.clock.now()
        soon = dataclasses.replace(resources, clock=FixedClock(now + timedelta(days=364)))
        assert await retention_pass(soon) == 0  # within the period: kept
        later = dataclasses.replace(resources, clock=FixedClock(now + timedelta(days=366)))
        assert await retention_pass(later) == 1
        db.expire_all()
        conv = await db.get(Conversation, sid)
        assert conv is not None
        assert conv.debtor_cpf is None
        assert conv.outcome_kind == "unsuccessful"  # opted out after identity
        bot_rows = "\n".join(
            [
                str(r[0])
                for table in ("conversations", "messages", "outbox")
                for r in await db.execute(text(f"SELECT CAST(t AS text) FROM {table} t"))
            ]
        )
        assert cpf not in bot_rows
        assert phone[2:] not in bot_rows
