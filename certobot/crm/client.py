"""The bot's client of the CRM API: timeouts, retries with backoff, a shared circuit breaker, a cache.

Retries only what can succeed later (transport errors, 5xx, 429), never a 4xx. The breaker lives in
Redis so that every process of the bot stops hammering a CRM that is down at the same moment. Debtor
lookups are cached for a few seconds: a conversation asks for the same debtor on every turn.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import stamina
from redis.asyncio import Redis

from certobot.crm.schemas import ContactRequest, ConversationOutcome, DebtorInfo
from certobot.logging import get_logger
from certobot.metrics import CRM_ERRORS
from certobot.phones import phone_key

log = get_logger("certobot.crm")

BREAKER_KEY = "certobot:crm:breaker"
CACHE_PREFIX = "certobot:crm:debtor:"


class CrmUnavailable(Exception):
    """The CRM did not answer (down, timing out, or the breaker is open)."""


class CrmError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"CRM {status}: {detail}")
        self.status = status
        self.detail = detail


class _Retryable(Exception):
    """A 5xx or 429: worth another try."""


class CrmClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        redis: Redis,
        *,
        cache_ttl: float = 30.0,
        attempts: int = 3,
        deadline: float = 8.0,
        breaker_threshold: int = 5,
        breaker_open_seconds: float = 15.0,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self.redis = redis
        self.cache_ttl = cache_ttl
        self.attempts = attempts
        self.deadline = deadline
        self.breaker_threshold = breaker_threshold
        self.breaker_open_seconds = breaker_open_seconds
        self.timeout = httpx.Timeout(5.0, connect=2.0)

    # --- breaker -------------------------------------------------------------------------------

    async def _check_breaker(self) -> None:
        opened_until = await self.redis.hget(BREAKER_KEY, "open_until")
        if opened_until and float(opened_until) > time.time():
            raise CrmUnavailable("circuito aberto")

    async def _failure(self) -> None:
        failures = await self.redis.hincrby(BREAKER_KEY, "failures", 1)
        await self.redis.expire(BREAKER_KEY, 300)
        if failures >= self.breaker_threshold:
            # Open; the first call after the window is the half-open trial.
            await self.redis.hset(
                BREAKER_KEY, mapping={"open_until": time.time() + self.breaker_open_seconds, "failures": 0}
            )
            log.warning("crm_breaker_open", seconds=self.breaker_open_seconds)

    async def _success(self) -> None:
        await self.redis.delete(BREAKER_KEY)

    # --- transport -----------------------------------------------------------------------------

    async def _request(self, method: str, path: str, op: str, **kwargs: Any) -> httpx.Response:
        await self._check_breaker()
        try:
            async for attempt in stamina.retry_context(
                on=(_Retryable, httpx.TransportError),
                attempts=self.attempts,
                timeout=self.deadline,
                wait_initial=0.2,
                wait_max=2.0,
            ):
                with attempt:
                    r = await self.http.request(
                        method, f"{self.base_url}{path}", headers=self._headers, timeout=self.timeout, **kwargs
                    )
                    if r.status_code >= 500 or r.status_code == 429:
                        raise _Retryable(f"{r.status_code}")
        except (_Retryable, httpx.TransportError) as exc:
            CRM_ERRORS.labels(operation=op).inc()
            await self._failure()
            raise CrmUnavailable(str(exc) or type(exc).__name__) from None
        await self._success()
        return r

    @staticmethod
    def _raise_for(r: httpx.Response) -> None:
        if r.is_success:
            return
        try:
            detail = str(r.json().get("detail", r.text))
        except ValueError:
            detail = r.text
        raise CrmError(r.status_code, detail)

    # --- debtors -------------------------------------------------------------------------------

    async def get_debtor(self, cpf: str) -> DebtorInfo | None:
        cached = await self.redis.get(CACHE_PREFIX + cpf)
        if cached:
            return DebtorInfo.model_validate_json(cached)
        r = await self._request("GET", f"/api/debtors/{cpf}", "get_debtor")
        if r.status_code == 404:
            return None
        self._raise_for(r)
        debtor = DebtorInfo.model_validate(r.json())
        await self._cache(debtor)
        return debtor

    async def find_by_phone(self, phone: str) -> DebtorInfo | None:
        key = phone_key(phone)
        if key is None:
            return None
        cpf = await self.redis.get(f"{CACHE_PREFIX}phone:{key}")
        if cpf:
            return await self.get_debtor(cpf.decode() if isinstance(cpf, bytes) else str(cpf))
        r = await self._request("GET", "/api/debtors", "find_by_phone", params={"phone": phone, "page_size": 1})
        self._raise_for(r)
        items = r.json().get("items", [])
        if not items:
            return None
        debtor = DebtorInfo.model_validate(items[0])
        await self._cache(debtor)
        return debtor

    async def list_debtors(self, page: int, page_size: int, **filters: Any) -> tuple[list[DebtorInfo], int]:
        r = await self._request(
            "GET", "/api/debtors", "list_debtors", params={"page": page, "page_size": page_size, **filters}
        )
        self._raise_for(r)
        body = r.json()
        return [DebtorInfo.model_validate(i) for i in body["items"]], int(body["total"])

    async def _cache(self, debtor: DebtorInfo) -> None:
        ttl = int(self.cache_ttl) or 1
        await self.redis.set(CACHE_PREFIX + debtor.cpf, debtor.model_dump_json(), ex=ttl)
        key = phone_key(debtor.phone)
        if key:
            await self.redis.set(f"{CACHE_PREFIX}phone:{key}", debtor.cpf, ex=ttl)

    async def forget(self, cpf: str) -> None:
        await self.redis.delete(CACHE_PREFIX + cpf)

    # --- writes --------------------------------------------------------------------------------

    async def post_outcome(self, outcome: ConversationOutcome) -> dict[str, Any]:
        r = await self._request(
            "POST", "/api/negotiations/results", "post_outcome", json=outcome.model_dump(mode="json")
        )
        self._raise_for(r)
        await self.forget(outcome.debtor_cpf)
        body: dict[str, Any] = r.json()
        return body

    async def log_contact(self, cpf: str, entry: ContactRequest) -> None:
        r = await self._request(
            "POST", f"/api/debtors/{cpf}/contacts", "log_contact", json=entry.model_dump(mode="json", exclude_none=True)
        )
        self._raise_for(r)
        await self.forget(cpf)

    async def cancel_agreement(self, session_id: str) -> dict[str, Any]:
        r = await self._request("POST", f"/api/negotiations/results/{session_id}/cancel", "cancel_agreement")
        self._raise_for(r)
        body: dict[str, Any] = r.json()
        return body

    async def get_boleto(self, boleto_id: str) -> dict[str, Any] | None:
        r = await self._request("GET", f"/api/boletos/{boleto_id}", "get_boleto")
        if r.status_code == 404:
            return None
        self._raise_for(r)
        body: dict[str, Any] = r.json()
        return body

    async def get_outcome(self, session_id: str) -> dict[str, Any] | None:
        r = await self._request("GET", f"/api/negotiations/results/{session_id}", "get_outcome")
        if r.status_code == 404:
            return None
        self._raise_for(r)
        body: dict[str, Any] = r.json()
        return body

    async def ping(self) -> bool:
        try:
            r = await self.http.get(f"{self.base_url}/health", timeout=2.0)
        except httpx.HTTPError:
            return False
        return r.status_code == 200
