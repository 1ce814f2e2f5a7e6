"""Delivering payment webhooks to the bot: signed, retried with backoff, one row per commit.

The bot deduplicates on `event_id`, so a read timeout (delivered or not?) is safely retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.clock import Clock, SystemClock
from certokit.db import dialect_of, transaction
from certokit.logging import get_logger
from certokit.retry import backoff
from mock_crm.payments.models import PaymentNotification
from mock_crm.settings import CrmSettings

log = get_logger("mock_crm.payments.notify")

SIGNATURE_HEADER = "X-Certobot-Signature"
PATH = "/webhooks/crm/payments"
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 20


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _claim(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> tuple[int, bytes] | None:
    """Take the oldest due row and lease it (a crash mid-send lets another worker retry it later)."""
    async with transaction(sessionmaker) as session:
        stmt = (
            select(PaymentNotification)
            .where(PaymentNotification.status == "pending", PaymentNotification.next_attempt_at <= now)
            .order_by(PaymentNotification.id)
            .limit(1)
        )
        if dialect_of(session) == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        row = (await session.scalars(stmt)).first()
        if row is None:
            return None
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        return row.id, json.dumps(row.payload, ensure_ascii=False, separators=(",", ":")).encode()


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession], row_id: int, now: datetime, error: str | None, *, final: bool
) -> None:
    async with transaction(sessionmaker) as session:
        row = await session.get(PaymentNotification, row_id)
        if row is None:
            return
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
            return
        row.last_error = error[:2000]
        if final or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now + backoff(row.attempts)


async def deliver_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    settings: CrmSettings,
    clock: Clock | None = None,
) -> bool:
    """Deliver one due notification; False when none was due."""
    clock = clock or SystemClock()
    claimed = await _claim(sessionmaker, clock.now())
    if claimed is None:
        return False
    row_id, body = claimed
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, settings.crm_webhook_secret.get_secret_value()),
    }
    url = settings.certobot_base_url.rstrip("/") + PATH
    try:
        r = await http.post(url, content=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        await _record(sessionmaker, row_id, clock.now(), f"{type(exc).__name__}: {exc}", final=False)
        return True
    if r.is_success:
        await _record(sessionmaker, row_id, clock.now(), None, final=False)
    else:
        # 5xx, 408 and 429 may pass; any other 4xx is a refusal that repeating will not change.
        final = 400 <= r.status_code < 500 and r.status_code not in (408, 429)
        await _record(sessionmaker, row_id, clock.now(), f"HTTP {r.status_code}: {r.text[:500]}", final=final)
        log.warning("payment_webhook_refused", status=r.status_code, final=final)
    return True


async def run_notify_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    settings: CrmSettings,
    stop: asyncio.Event,
    *,
    idle: float = 1.0,
) -> None:
    while not stop.is_set():
        try:
            worked = await deliver_one(sessionmaker, http, settings)
        except Exception:  # the loop outlives a database hiccup; the row's lease brings it back
            log.exception("payment_notify_error")
            worked = False
        if not worked:
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle)
            except TimeoutError:
                continue
