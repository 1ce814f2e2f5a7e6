"""The bot's client of the CRM API: timeouts, retries with backoff, a shared circuit breaker, a cache.

Retries only what can succeed later and cannot do anything twice: a GET on transport errors, 5xx and
429; a POST that writes always carries an `Idempotency-Key` (the caller's, e.g. the outbox row's
key, or a fresh one), which the CRM answers from its stored response on a repeat, so a POST whose
answer was lost (read timeout, 5xx) is retried as safely as a GET. The lookups are POSTs only to
keep the CPF and the phone out of URLs: they read, so they go unkeyed (a key would have the CRM
write a reservation and store a copy of the debtor's record for a question). Never a 4xx. This loop
(`certokit.retry.after_a_failure`, stamina's) is the only retry layer; the outbox only defers what
it gave up on. The breaker lives in Redis, updated by one Lua script per failure, so that every
process of the bot stops hammering a CRM that is down at the same moment. Debtor lookups are cached
for a few seconds: a conversation asks for the same debtor on every turn.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from redis.asyncio import Redis

from certobot.crm.schemas import ContactRequest, ConversationOutcome, DebtorInfo
from certobot.metrics import CRM_ERRORS
from certokit.http import JsonPost
from certokit.logging import get_logger
from certokit.phones import phone_key
from certokit.retry import after_a_failure

log = get_logger("certobot.crm")

BREAKER_KEY = "certobot:crm:breaker"
CACHE_PREFIX = "certobot:crm:debtor:"


class CrmUnavailable(Exception):
    """The CRM did not answer (down, timing out, or the breaker is open)."""


class CrmBreakerOpen(CrmUnavailable):
    """Not tried: the breaker is open (the CRM failed just now, for this or another process)."""


class CrmError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"CRM {status}: {detail}")
        self.status = status
        self.detail = detail


class _Retryable(Exception):
    """A 5xx or 429: worth another try."""


# One failure, atomically: count it, keep the count for 5 minutes, and open the breaker when the
# count reaches the threshold (the first call after the window is the half-open trial).
_FAILURE = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'open_until', ARGV[2], 'failures', 0)
end
redis.call('EXPIRE', KEYS[1], 300)
return failures
"""


def _checked(r: httpx.Response) -> httpx.Response:
    if r.status_code >= 500 or r.status_code == 429:
        raise _Retryable(f"{r.status_code}")
    return r


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
        self._lookup = JsonPost(http, f"{self.base_url}/api/debtors/lookup", self._headers, timeout=self.timeout)
        self._failure_script = redis.register_script(_FAILURE)
        # A turn's view (`for_turn`): the breaker as its lock script read it, no shared cache (the
        # debtor travels in the session), so a turn's CRM lookups cost Redis nothing when all is well.
        self._breaker: tuple[float, int] | None = None

    def for_turn(self, open_until: float, failures: int) -> CrmClient:
        view = copy.copy(self)
        view._breaker = (open_until, failures)
        return view

    # --- breaker -------------------------------------------------------------------------------

    async def _check_breaker(self) -> None:
        if self._breaker is not None:
            if self._breaker[0] > time.time():
                raise CrmBreakerOpen("circuito aberto")
            return
        opened_until = await self.redis.hget(BREAKER_KEY, "open_until")
        if opened_until and float(opened_until) > time.time():
            raise CrmBreakerOpen("circuito aberto")

    async def _failure(self) -> None:
        open_until = time.time() + self.breaker_open_seconds
        failures = await self._failure_script(keys=[BREAKER_KEY], args=[self.breaker_threshold, open_until])
        if int(failures) >= self.breaker_threshold:
            log.warning("crm_breaker_open", seconds=self.breaker_open_seconds)

    async def _success(self) -> None:
        if self._breaker is not None and self._breaker[1] == 0:
            return  # nothing counted against the CRM when the turn began
        await self.redis.delete(BREAKER_KEY)

    # --- transport -----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        op: str,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        await self._check_breaker()
        headers = self._headers
        if method == "POST":
            # Every POST that writes is keyed, so a retry after a lost answer is answered, not carried out, twice.
            headers = {**headers, "Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        url = f"{self.base_url}{path}"
        return await self._attempts(
            lambda: self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs), op
        )

    async def _look_up(self, op: str, body: dict[str, str]) -> httpx.Response:
        """A lookup: a POST only to keep the CPF or the phone out of the URL. It reads, so it goes
        unkeyed, and as one prebuilt request (the first turn of every conversation asks it)."""
        await self._check_breaker()
        return await self._attempts(lambda: self._lookup(body), op)

    async def _attempts(self, attempt: Callable[[], Awaitable[httpx.Response]], op: str) -> httpx.Response:
        try:
            r = await self._retrying(attempt)
        except (_Retryable, httpx.TransportError) as exc:
            CRM_ERRORS.labels(operation=op).inc()
            await self._failure()
            raise CrmUnavailable(str(exc) or type(exc).__name__) from None
        await self._success()
        return r

    async def _retrying(self, attempt: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """`attempt()` until it answers below 500 (and not 429), within the attempts and the deadline."""

        async def checked() -> httpx.Response:
            return _checked(await attempt())

        return await after_a_failure(
            checked,
            on=(_Retryable, httpx.TransportError),
            attempts=self.attempts,
            deadline=self.deadline,
            wait_initial=0.2,
            wait_max=2.0,
        )

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

    async def get_debtor(self, cpf: str, *, fresh: bool = False) -> DebtorInfo | None:
        """`fresh` skips the cache: opening a contact must use the phone registered right now."""
        cached = None if fresh or self._breaker is not None else await self.redis.get(CACHE_PREFIX + cpf)
        if cached:
            return DebtorInfo.model_validate_json(cached)
        # The CPF goes in the body, never in a URL (URLs end up in access logs and proxies).
        r = await self._look_up("get_debtor", {"cpf": cpf})
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
        cpf = None if self._breaker is not None else await self.redis.get(f"{CACHE_PREFIX}phone:{key}")
        if cpf:
            return await self.get_debtor(cpf.decode() if isinstance(cpf, bytes) else str(cpf))
        # The phone in the body, as the CPF: never in a URL.
        r = await self._look_up("find_by_phone", {"phone": phone})
        if r.status_code == 404:
            return None
        self._raise_for(r)
        debtor = DebtorInfo.model_validate(r.json())
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
        if self._breaker is not None:
            return  # a turn keeps the debtor in its session
        ttl = int(self.cache_ttl) or 1
        await self.redis.set(CACHE_PREFIX + debtor.cpf, debtor.model_dump_json(), ex=ttl)
        key = phone_key(debtor.phone)
        if key:
            await self.redis.set(f"{CACHE_PREFIX}phone:{key}", debtor.cpf, ex=ttl)

    async def forget(self, cpf: str) -> None:
        await self.redis.delete(CACHE_PREFIX + cpf)

    # --- writes --------------------------------------------------------------------------------

    async def post_outcome(self, outcome: ConversationOutcome, *, idempotency_key: str | None = None) -> dict[str, Any]:
        r = await self._request(
            "POST",
            "/api/negotiations/results",
            "post_outcome",
            idempotency_key=idempotency_key or f"outcome:{outcome.session_id}",
            json=outcome.model_dump(mode="json"),
        )
        self._raise_for(r)
        await self.forget(outcome.debtor_cpf)
        body: dict[str, Any] = r.json()
        return body

    async def log_contact(self, cpf: str, entry: ContactRequest, *, idempotency_key: str | None = None) -> None:
        debtor = await self.get_debtor(cpf)
        if debtor is None:
            raise CrmError(404, "Devedor não encontrado.")
        # The debtor's opaque id addresses it; a CRM that predates ids still takes the CPF there.
        ref = debtor.id or cpf
        r = await self._request(
            "POST",
            f"/api/debtors/{ref}/contacts",
            "log_contact",
            idempotency_key=idempotency_key,
            json=entry.model_dump(mode="json", exclude_none=True),
        )
        self._raise_for(r)
        await self.forget(cpf)

    async def cancel_agreement(self, session_id: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        r = await self._request(
            "POST",
            f"/api/negotiations/results/{session_id}/cancel",
            "cancel_agreement",
            idempotency_key=idempotency_key,
        )
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
