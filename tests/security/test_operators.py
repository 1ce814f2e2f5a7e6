"""Operators as people: each signs in, holds a role, and leaves a trail of what they saw and did."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.operators import tokens
from certobot.operators.models import OperatorUser
from certobot.operators.service import create_user
from tests.e2e.conftest import Stack
from tests.factories import create_debtor

PASSWORD = "correct horse battery staple"


async def user(stack: Stack, username: str, role: str) -> dict[str, str]:
    """Created by the admin (service key), signed in; the headers that carry its token."""
    r = await stack.bot.post("/api/users", json={"username": username, "password": PASSWORD, "role": role})
    assert r.status_code == 201, r.text
    r = await stack.bot.post("/api/auth/login", json={"username": username, "password": PASSWORD}, headers={})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == role
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class TestRoles:
    async def test_an_operator_cannot_start_contacts_campaigns_or_manage_users(self, stack: Stack) -> None:
        op = await user(stack, "ana.operadora", "operator")
        d = await create_debtor(stack.crm)
        assert (await stack.bot.get("/api/conversations", headers=op)).status_code == 200
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]}, headers=op)
        assert r.status_code == 403
        assert "papel (operator)" in r.json()["detail"]
        assert (await stack.bot.post("/api/campaigns", json={"cpfs": [d["cpf"]]}, headers=op)).status_code == 403
        r = await stack.bot.post(
            "/api/users", json={"username": "intrusa", "password": PASSWORD, "role": "admin"}, headers=op
        )
        assert r.status_code == 403
        assert (await stack.bot.get("/api/audit", headers=op)).status_code == 403
        assert stack.graph.sent == []

    async def test_a_supervisor_starts_and_the_audit_log_says_who_did_what(self, stack: Stack) -> None:
        sup = await user(stack, "bia.supervisora", "supervisor")
        op = await user(stack, "caio.operador", "operator")
        d = await create_debtor(stack.crm, phone="+5511987651501")
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]}, headers=sup)
        assert r.status_code == 202, r.text
        sid = r.json()["session_id"]
        assert (await stack.bot.get(f"/api/conversations/{sid}", headers=op)).status_code == 200
        assert (await stack.bot.post(f"/api/conversations/{sid}/handoff", headers=op)).status_code == 200
        r = await stack.bot.post(f"/api/conversations/{sid}/messages", json={"text": "Oi, aqui é o Caio"}, headers=op)
        assert r.status_code == 202
        log = (await stack.bot.get("/api/audit")).json()
        trail = [(e["actor"], e["action"], e["target"]) for e in reversed(log)]
        assert trail[-4:] == [
            ("bia.supervisora", "start_conversation", sid),
            ("caio.operador", "view_transcript", sid),
            ("caio.operador", "takeover", sid),
            ("caio.operador", "send", sid),
        ]
        assert d["cpf"] not in str(log)


class TestSignIn:
    async def test_wrong_passwords_are_refused_then_throttled(self, stack: Stack) -> None:
        await user(stack, "dora.operadora", "operator")
        codes = [
            (
                await stack.bot.post(
                    "/api/auth/login", json={"username": "dora.operadora", "password": f"chute-{i}"}, headers={}
                )
            ).status_code
            for i in range(11)
        ]
        assert codes == [401] * 10 + [429]

    async def test_passwords_are_stored_as_argon2_and_tokens_expire(self, stack: Stack, db: AsyncSession) -> None:
        headers = await user(stack, "eva.operadora", "operator")
        stored = await db.scalar(select(OperatorUser.password_hash).where(OperatorUser.username == "eva.operadora"))
        assert stored is not None
        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored
        token = headers["Authorization"].removeprefix("Bearer ")
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert (
            await stack.bot.get("/api/conversations", headers={"Authorization": f"Bearer {forged}"})
        ).status_code == 401
        secret = b"s" * 32
        now = datetime.now(UTC)
        issued = tokens.issue(secret, username="eva", role="operator", now=now, ttl=timedelta(minutes=30))
        assert tokens.verify(secret, issued, now=now + timedelta(minutes=29)) == {"sub": "eva", "role": "operator"}
        assert tokens.verify(secret, issued, now=now + timedelta(minutes=30)) is None

    async def test_a_deactivated_user_loses_access_at_once(self, stack: Stack, db: AsyncSession) -> None:
        headers = await user(stack, "fabio.operador", "operator")
        assert (await stack.bot.get("/api/conversations", headers=headers)).status_code == 200
        async with stack.bot_app.state.resources.sessionmaker() as s, s.begin():
            row = await s.scalar(select(OperatorUser).where(OperatorUser.username == "fabio.operador"))
            assert row is not None
            row.active = False
        assert (await stack.bot.get("/api/conversations", headers=headers)).status_code == 401


async def test_short_passwords_are_refused(db: AsyncSession) -> None:
    from certokit.errors import Invalid

    with pytest.raises(Invalid, match="12 caracteres"):
        await create_user(db, username="gil", password="curta", role="operator")


def test_users_create_on_the_command_line(database_url: str, engine: object) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": os.getcwd()}
    proc = subprocess.run(
        [sys.executable, "-m", "certobot.cli", "users", "create", "helena", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usuário helena criado (admin)." in proc.stdout
