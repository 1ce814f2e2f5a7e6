"""Turns claimed together read in one statement: each phone gets exactly what its own read returns."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from certobot.negotiation.turnstore import ReadAsk, TurnRead, read_turn, read_turns
from certobot.whatsapp import sweeper
from certobot.whatsapp.inbox import store_rows, stored_row
from certobot.whatsapp.schemas import WebhookBody, inbound_messages
from certokit.coalesce import Coalescer
from certokit.db import utcnow
from tests.e2e.conftest import Stack
from tests.factories import create_debtor
from tests.fakes import text_webhook


def digits(phone: str) -> str:
    return phone.lstrip("+")


def seen(read: TurnRead) -> dict[str, Any]:
    """A read as a turn uses it, comparable field by field."""
    return {
        "live": (read.live.id, read.live.phase, read.live.state_version) if read.live else None,
        "recent": (read.recent.id, read.recent.outcome_kind) if read.recent else None,
        "events": [(e.id, e.payload) for e in read.events],
        "locks": read.locks,
        "failures": sorted(read.failures),
        "blocked": read.blocked_cpfs,
        "backlog": read.backlog,
    }


async def test_phones_in_every_state_read_together_as_each_reads_alone(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweeper, "GRACE_SECONDS", 3600.0)
    talking = await create_debtor(stack.crm, phone="+5511987650101")
    agreed = await create_debtor(stack.crm, phone="+5511987650102")
    wrong = await create_debtor(stack.crm, phone="+5511987650103")
    await stack.say(digits(talking["phone"]), "oi")
    await stack.say(digits(talking["phone"]), talking["cpf"][:3])
    for line in ("oi", agreed["cpf"][:3], "quero pagar à vista", "sim"):
        await stack.say(digits(agreed["phone"]), line)
    await stack.say(digits(wrong["phone"]), "oi")
    other = "0" if wrong["cpf"][0] != "0" else "1"
    await stack.say(digits(wrong["phone"]), other + wrong["cpf"][1:3])  # a wrong first digit: a failure on record
    # A message stored and not yet announced (the sweeper's grace is an hour here): pending for the read.
    late = inbound_messages(WebhookBody.model_validate(text_webhook(digits(talking["phone"]), "quero parcelar")))
    engine = stack.bot_app.state.resources.engine
    assert await store_rows(engine, [stored_row(m) for m in late], 100) != [None]

    now = utcnow()
    phones = [digits(p["phone"]) for p in (talking, agreed, wrong)] + ["5511900000000"]  # and one never seen
    asks = [ReadAsk(p, since=now - timedelta(days=1), window_start=now - timedelta(hours=24)) for p in phones]
    alone = [await read_turn(engine, a.phone_key, since=a.since, window_start=a.window_start) for a in asks]
    together = await read_turns(engine, asks)

    assert [seen(r) for r in together] == [seen(r) for r in alone]
    assert [r.phone_key for r in together] == phones
    states = [seen(r) for r in together]
    assert states[0]["live"] is not None  # mid-negotiation
    assert states[1]["live"] is None  # agreement closed …
    assert states[1]["recent"] is not None  # … and its outcome is what the turn sees
    assert states[2]["failures"]  # the wrong digits are on record for that phone
    assert states[3] == {**states[3], "live": None, "recent": None, "events": []}
    assert [e[1]["text"] for e in states[0]["events"]] == ["quero parcelar"]
    # The pipeline's arrangement: reads asked at the same moment share statements, each its own answer.
    reads = Coalescer(lambda many: read_turns(engine, many))
    answers = await asyncio.gather(*(reads([a]) for a in asks))
    assert [seen(r[0]) for r in answers] == [seen(r) for r in alone]
    assert reads.statements == 1  # four turns starting at once: one statement
