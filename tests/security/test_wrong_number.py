""" "Número errado" is honoured: the number is never contacted about that debtor again, by any path."""

from __future__ import annotations

import asyncio

from certobot.campaigns.runner import tick
from tests.e2e.conftest import Stack
from tests.factories import create_debtor


async def test_a_wrong_number_is_never_contacted_again(stack: Stack) -> None:
    d = await create_debtor(stack.crm, debt="654.32", phone="+5511987651301")
    phone = d["phone"].lstrip("+")
    await stack.say(phone, "oi")
    await stack.say(phone, "não sou eu, número errado")
    for _ in range(50):  # the conversation's end reaches the database with its turn
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        if r.status_code != 409:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 422
    assert "número foi informado como errado" in r.json()["detail"]

    r = await stack.bot.post("/api/campaigns", json={"cpfs": [d["cpf"]], "per_minute": 600})
    campaign_id = r.json()["id"]
    for _ in range(50):
        await tick(stack.bot_app.state.resources)
        view = (await stack.bot.get(f"/api/campaigns/{campaign_id}")).json()
        if view["progress"]["queued"] == 0:
            break
        await asyncio.sleep(0.05)
    assert view["progress"]["refused"] == 1
    assert not any(s.body and s.body["type"] == "template" for s in stack.graph.sent)

    # whoever holds the number writes again: a stranger, told nothing, not asked for a CPF
    again = await stack.say(phone, "oi, quem é?")
    assert "Não encontrei nenhum cadastro" in again[0]
    assert "654,32" not in " ".join(stack.graph.texts_to(phone))


async def test_the_debtor_on_another_number_is_still_reachable(stack: Stack) -> None:
    d = await create_debtor(stack.crm, phone="+5511987651302")
    phone = d["phone"].lstrip("+")
    await stack.say(phone, "oi")
    await stack.say(phone, "número errado")
    await stack.crm.put(f"/api/debtors/{d['cpf']}", json={"phone": "+5511987651303"})
    for _ in range(50):
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        if r.status_code != 409:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 202, r.text
