"""Steps shared by the after-agreement tests: an agreement made, a payment reported, replies awaited."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.negotiation.models import Conversation
from certokit.clock import today_sp
from certokit.phones import phone_key
from tests.e2e.conftest import Stack
from tests.factories import create_debtor


async def agreed(
    crm: httpx.AsyncClient, *, first_due: date, total: str = "900.00", n: int = 3, now: datetime
) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """A debtor, and the outcome of a conversation that agreed `total` in `n` boletos."""
    debtor = await create_debtor(crm, debt="1500.00", name="Maria da Conceição")
    session_id = str(uuid.uuid4())
    r = await crm.post(
        "/api/negotiations/results",
        json={
            "session_id": session_id,
            "debtor_cpf": debtor["cpf"],
            "outcome": "successful",
            "agreed_amount": total,
            "discount_amount": "0.00",
            "installments": n,
            "payment_date": first_due.isoformat(),
            "payment_method": "boleto",
            "interaction_timestamp": now.isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    return debtor, session_id, r.json()["boletos"]


async def conversation(db: AsyncSession, session_id: str, phone: str, last_inbound_at: datetime | None) -> None:
    """The bot's record of the conversation that made the agreement (the debtor wrote at `last_inbound_at`)."""
    key = phone_key(phone)
    assert key is not None
    db.add(
        Conversation(
            id=session_id,
            debtor_cpf=None,
            phone=phone,
            phone_key=key,
            origin="inbound",
            status="completed",
            phase="completion",
            last_inbound_at=last_inbound_at,
        )
    )
    await db.commit()


def payment(boleto_id: str, amount: str, pid: str, channel: str = "boleto", **ref: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_id": pid,
        "amount": amount,
        "paid_at": datetime.now().astimezone().isoformat(),
        "channel": channel,
    }
    body.update(ref or {"boleto_id": boleto_id})
    return body


async def until(check: Callable[[], bool], wait: float = 15.0) -> None:
    deadline = time.monotonic() + wait
    while not check():
        assert time.monotonic() < deadline, "condição não atingida a tempo"
        await asyncio.sleep(0.05)


def digits(phone: str) -> str:
    return phone.lstrip("+")


def non_boleto_texts(stack: Stack, phone: str) -> list[str]:
    """What the bot wrote to the debtor, without the CRM's boleto deliveries."""
    return [
        t
        for t in stack.graph.texts_to(digits(phone))
        if not t.startswith("[documento]") and "PIX" not in t and "pix" not in t.lower()
    ]


def later(days: int) -> date:
    return today_sp() + timedelta(days=days)
