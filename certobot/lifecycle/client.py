"""The CRM's agreement routes, as the reminder scheduler uses them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict

from certobot.config import BotSettings


class Installment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    boleto_id: str
    installment: int
    amount: Decimal
    open_amount: Decimal
    due_date: date
    status: Literal["open", "paid", "overdue", "cancelled"]


class Agreement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agreement_id: str
    session_id: str | None
    debtor_name: str
    debtor_phone: str
    debtor_opted_out: bool
    status: Literal["active", "paid", "broken", "cancelled"]
    installments: list[Installment]
    created_at: datetime


class Promise(BaseModel):
    model_config = ConfigDict(extra="ignore")

    promise_id: int
    session_id: str | None
    debtor_name: str
    debtor_phone: str
    debtor_opted_out: bool
    promised_date: date
    kept: bool


class AgreementsClient:
    def __init__(self, http: httpx.AsyncClient, settings: BotSettings) -> None:
        self.http = http
        self.base = settings.crm_base_url
        self.headers = {"Authorization": f"Bearer {settings.crm_api_key.get_secret_value()}"}

    async def active(self, page_size: int = 200) -> list[Agreement]:
        out: list[Agreement] = []
        offset = 0
        while True:
            r = await self.http.get(
                f"{self.base}/api/agreements",
                params={"status": "active", "limit": page_size, "offset": offset},
                headers=self.headers,
                timeout=10,
            )
            r.raise_for_status()
            items = [Agreement.model_validate(i) for i in r.json()["items"]]
            out.extend(items)
            if len(items) < page_size:
                return out
            offset += page_size

    async def mark_broken(self, agreement_id: str) -> None:
        r = await self.http.post(f"{self.base}/api/agreements/{agreement_id}/break", headers=self.headers, timeout=10)
        if r.status_code != 409:  # already paid or cancelled meanwhile: nothing to break
            r.raise_for_status()

    async def promises(self, due_from: date, due_to: date, kind: str = "payment_promise") -> list[Promise]:
        """Promises falling due between the dates: to pay (`payment_promise`) or to talk again (`follow_up`)."""
        r = await self.http.get(
            f"{self.base}/api/payment-promises",
            params={"due_from": due_from.isoformat(), "due_to": due_to.isoformat(), "kind": kind},
            headers=self.headers,
            timeout=10,
        )
        r.raise_for_status()
        return [Promise.model_validate(p) for p in r.json()]
