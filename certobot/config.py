"""Settings of the bot (the CRM has its own, `mock_crm.settings`).

Names follow CONTRACT §2. `BOT_DATABASE_URL` overrides `DATABASE_URL` for the bot only; on Postgres
the bot's tables live in the `bot` schema of whichever database that is. Each service builds its
settings once, in its lifespan or CLI, through `load_settings`; a missing or malformed value becomes
one line that names the variable.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from certokit import sealing
from certokit.cpf import is_valid_cnpj
from certokit.db import PoolSplit, async_database_url, pool_split
from certokit.production import production_refusal

# Re-exported: the services read them from their own settings module.
from certokit.startup import ConfigError as ConfigError
from certokit.startup import blank_is_unset
from certokit.startup import load_settings as load_settings

DEV_CRM_KEY = "dev-crm-key"
DEV_WEBHOOK_SECRET = "dev-crm-webhook-secret"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./certobot.db"
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v25.0"
# The Postgres schema holding the bot's tables and its migrations' version table.
SCHEMA = "bot"


class _Base(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    environment: Literal["development", "production"] = "development"
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=AliasChoices("BOT_DATABASE_URL", "DATABASE_URL")
    )
    crm_api_key: SecretStr = SecretStr(DEV_CRM_KEY)
    # Shared by the CRM (signs payment webhooks, HMAC-SHA256) and the bot (checks them).
    crm_webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)
    log_level: str = "INFO"
    log_json: bool = True
    log_file: str | None = None
    # Request bodies beyond this are refused while they stream in (the webhook allows Meta's 3 MB).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Outbox loops are woken by Postgres NOTIFY; this slow poll only catches backoffs and misses.
    outbox_poll_seconds: float = Field(default=15.0, gt=0, le=600)
    # Policies are reloaded on NOTIFY; this slow look covers a lost notification.
    policy_refresh_seconds: float = Field(default=300.0, gt=0, le=3600)

    # WhatsApp Cloud API.
    whatsapp_api_base_url: str = DEFAULT_GRAPH_URL
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_opening_template: str = "cobranca_abertura"
    whatsapp_template_language: str = "pt_BR"
    whatsapp_rate_per_second: int = Field(default=80, ge=1, le=1000)
    # Where sends go when no access token is set: the bot's built-in fake Graph API.
    whatsapp_sandbox_url: str = "http://127.0.0.1:8000/sandbox/v25.0"
    # Which WhatsApp channel both services speak: Meta's Cloud API, or a self-hosted WAHA.
    whatsapp_provider: Literal["meta", "waha"] = "meta"
    waha_base_url: str = "http://localhost:3000"
    waha_api_key: SecretStr | None = None
    waha_session: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,54}$")

    # CPFs and phones at rest: AES-256-GCM keys `id:base64,...` (the first seals, all open) and the
    # HMAC key of the lookup hashes. Unset: fixed development keys, refused in production.
    data_keys: SecretStr | None = None
    data_hash_key: SecretStr | None = None

    # Who collects (CDC art. 42-A): shown on request and on every boleto.
    creditor_name: str = "Certo Recuperadora de Créditos Ltda"
    creditor_cnpj: str = "11.222.333/0001-81"
    creditor_address: str = "Av. Paulista, 1000, 10º andar, Bela Vista, São Paulo - SP, 01310-100"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        return async_database_url(v)

    @field_validator(
        "log_file",
        "whatsapp_access_token",
        "whatsapp_phone_number_id",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "data_keys",
        "data_hash_key",
        mode="before",
    )
    @classmethod
    def _blank(cls, v: object) -> object:
        return blank_is_unset(v)

    @field_validator("data_keys")
    @classmethod
    def _data_keys(cls, v: SecretStr | None) -> SecretStr | None:
        sealing.check_data_keys(v.get_secret_value() if v else None)
        return v

    @field_validator("data_hash_key")
    @classmethod
    def _data_hash_key(cls, v: SecretStr | None) -> SecretStr | None:
        sealing.check_hash_key(v.get_secret_value() if v else None)
        return v

    @field_validator("creditor_cnpj")
    @classmethod
    def _cnpj(cls, v: str) -> str:
        if not is_valid_cnpj(v):
            raise ValueError("CNPJ inválido (dígitos verificadores não conferem)")
        return v

    @field_validator("whatsapp_api_base_url", "waha_base_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @property
    def whatsapp_sandbox(self) -> bool:
        if self.whatsapp_provider == "waha":
            return False  # WAHA is self-hosted: there is always a real (or fake) server to talk to
        return not (self.whatsapp_access_token and self.whatsapp_phone_number_id)

    @model_validator(mode="after")
    def _no_placeholders_in_production(self) -> _Base:
        if self.environment == "production":
            refusal = production_refusal(
                sandbox=self.whatsapp_sandbox, required=self._production_secrets(), optional=self._optional_secrets()
            )
            if refusal is None:
                refusal = sealing.keys_refusal("certobot", _secret(self.data_keys), _secret(self.data_hash_key))
            if refusal is not None:
                raise ValueError(refusal)
        return self

    def _production_secrets(self) -> dict[str, SecretStr | None]:
        if self.whatsapp_provider == "waha":
            return {
                "CRM_API_KEY": self.crm_api_key,
                "CRM_WEBHOOK_SECRET": self.crm_webhook_secret,
                "WAHA_API_KEY": self.waha_api_key,
            }
        return {
            "CRM_API_KEY": self.crm_api_key,
            "CRM_WEBHOOK_SECRET": self.crm_webhook_secret,
            "WHATSAPP_ACCESS_TOKEN": self.whatsapp_access_token,
        }

    def _optional_secrets(self) -> dict[str, SecretStr | None]:
        return {}


def _secret(v: SecretStr | None) -> str | None:
    return v.get_secret_value() if v is not None else None


def _parse_hhmm(s: str) -> time | None:
    h, m = s.split(":")
    if int(h) == 24 and int(m) == 0:
        return None  # end of day
    return time(int(h), int(m))


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_contact_hours(spec: str) -> dict[int, tuple[time, time | None]]:
    """`mon-fri 08:00-20:00; sat 08:00-14:00` → {weekday: (start, end or None for 24:00)}."""
    windows: dict[int, tuple[time, time | None]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        m = re.fullmatch(r"([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}:\d{2})-(\d{1,2}:\d{2})", part.lower())
        if not m or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
            raise ValueError(f"trecho inválido {part!r}; use por exemplo 'mon-fri 08:00-20:00'")
        first = DAYS.index(m.group(1))
        last = DAYS.index(m.group(2)) if m.group(2) else first
        start, end = _parse_hhmm(m.group(3)), _parse_hhmm(m.group(4))
        if start is None:
            raise ValueError(f"início inválido em {part!r}")
        if end is not None and end <= start:
            raise ValueError(f"fim antes do início em {part!r}")
        for d in range(first, last + 1):
            windows[d] = (start, end)
    return windows


def parse_days(spec: str) -> list[int]:
    """`3, 1` → [3, 1]: whole days between 1 and 30."""
    days = [int(p) for p in re.split(r"[,;\s]+", spec.strip()) if p]
    if any(d < 1 or d > 30 for d in days):
        raise ValueError("use dias entre 1 e 30 separados por vírgula, por exemplo '3, 1'")
    return sorted(set(days), reverse=True)


class BotSettings(_Base):
    redis_url: str | None = None
    # Connections to Redis this process keeps (opened at start with DATABASE_WARM_UP). Past them, a
    # burst's commands wait a moment for a free one (certobot.redis.make_redis).
    redis_max_connections: int = Field(default=64, ge=4, le=1000)
    crm_base_url: str = "http://localhost:8001"
    certobot_api_key: SecretStr | None = None
    certobot_model: str = "groq:openai/gpt-oss-120b"
    groq_api_key: SecretStr | None = None
    groq_base_url: str | None = None
    model_timeout_seconds: float = Field(default=4.0, gt=0)
    conversation_timeout_seconds: int = Field(default=180, ge=10)
    max_validation_attempts: int = Field(default=3, ge=1, le=10)
    # Wrong CPF answers per debtor and per phone, across conversations, before self-service locks.
    identity_max_failures: int = Field(default=5, ge=1, le=50)
    identity_lock_hours: float = Field(default=24, gt=0)
    # Debts from this amount (R$) ask a second question after the digits: the month they fell due.
    second_factor_min_amount: Decimal | None = Field(default=None, ge=0)
    contact_hours: str = "mon-fri 08:00-20:00; sat 08:00-14:00"
    holidays: str = ""
    min_contact_interval_hours: int = Field(default=24, ge=0)
    # Messages per minute one phone may make us process; beyond it they are stored, not answered.
    flood_limit_per_minute: int = Field(default=30, ge=1)
    run_background_workers: bool = Field(
        default=True, validation_alias=AliasChoices("CERTOBOT_RUN_WORKERS", "RUN_BACKGROUND_WORKERS")
    )
    # Which process runs background work. off: none here (an API process beside `certobot worker`);
    # on: all of it, whatever RUN_BACKGROUND_WORKERS says; auto: as RUN_BACKGROUND_WORKERS says (yes by
    # default, so `certobot up` is one process). Wherever it runs, the singleton loops (sweeper,
    # campaigns, expiry, reminders, retention) run in one process at a time: the holder of a Postgres
    # advisory lock (certokit.leader); the stream consumer and the CRM outbox run in every such process.
    background: Literal["auto", "on", "off"] = Field(
        default="auto", validation_alias=AliasChoices("CERTOBOT_BACKGROUND", "BACKGROUND")
    )
    # The singleton loops sleep until their next deadline or a NOTIFY; this slow poll only catches a
    # lost notification (and the contact hours opening). Every second on SQLite, which cannot NOTIFY.
    background_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    # How often a process that does not lead tries the lock: the delay before another takes over.
    leader_retry_seconds: float = Field(default=5.0, gt=0, le=300)
    # Connections to Postgres this process may open, all pools together: a quarter for the ORM's pool
    # (console, sweeper, campaigns), the rest for the hot path's (webhooks, turns, sends' records), of
    # which a sixth only opens under a burst (certokit.db.pool_split). Size it so that every process
    # you run fits the server's `max_connections` (docs/scaling.md): 40 is 25 + 5 hot and 5 + 5 ORM.
    database_max_connections: int = Field(default=40, ge=8, le=1000)
    # Open the hot pool's connections at start, each with the turn's read planned (certokit.rawsql
    # .warm_pool), and Redis's (certobot.redis.warm_redis), so a burst's first messages do not pay
    # for them. Off in the tests, which start many apps.
    database_warm_up: bool = True
    # Conversations one process works on at once. Kept under the hot pool so the webhook always
    # finds a connection: acceptance must stay fast while turns pile up.
    worker_concurrency: int = Field(default=16, ge=1, le=200)
    # How long a reply's record ("sent") may be held for a statement this process makes anyway (the
    # next webhook, a status, a turn) before it is written on its own (certobot.whatsapp.marks): the
    # console may show a reply queued that long, and a process killed meanwhile re-sends it unless
    # Meta's "sent" status records it first.
    record_sent_within_seconds: float = Field(default=2.0, gt=0, le=10)
    # WAHA: the key WAHA signs its webhooks with (X-Webhook-Hmac, HMAC-SHA512); required in production.
    waha_webhook_hmac_key: SecretStr | None = None
    # An unofficial number is banned for bulk-looking traffic: openings are capped per minute and
    # every send waits a random human-like delay (with "typing…" shown) first.
    waha_openings_per_minute: int = Field(default=4, ge=1, le=60)
    waha_send_delay_min_seconds: float = Field(default=1.0, ge=0, le=60)
    waha_send_delay_max_seconds: float = Field(default=4.0, ge=0, le=120)

    @field_validator("redis_url", "certobot_api_key", "groq_api_key", "groq_base_url", mode="before")
    @classmethod
    def _blank_bot(cls, v: object) -> object:
        return blank_is_unset(v)

    # LGPD: named to the debtor once identity is confirmed (defaults to CREDITOR_NAME).
    data_controller_name: str | None = None
    dpo_contact: str = Field(default="e-mail privacidade@certorecuperadora.com.br", min_length=5, max_length=200)
    # People's tokens: signed with this (else a key derived from CERTOBOT_API_KEY), short-lived.
    operator_token_secret: SecretStr | None = None
    operator_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Closed conversations keep the debtor's CPF, phone and texts this long, then are anonymised.
    personal_data_retention_days: int = Field(default=365, ge=1)
    # Wrong operator keys one client may send per window before every call gets 429.
    auth_max_failures: int = Field(default=10, ge=1)
    auth_failure_window_seconds: int = Field(default=300, ge=1)
    # Swagger and ReDoc: on outside production unless turned off, off in production unless turned on.
    api_docs: bool | None = None

    @property
    def docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    def _production_secrets(self) -> dict[str, SecretStr | None]:
        # Without the app secret anyone can forge a webhook; without the verify token anyone can subscribe.
        if self.whatsapp_provider == "waha":
            return {**super()._production_secrets(), "WAHA_WEBHOOK_HMAC_KEY": self.waha_webhook_hmac_key}
        return {
            **super()._production_secrets(),
            "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
        }

    def _optional_secrets(self) -> dict[str, SecretStr | None]:
        return {"CERTOBOT_API_KEY": self.certobot_api_key, "OPERATOR_TOKEN_SECRET": self.operator_token_secret}

    # After the agreement (certobot/lifecycle): receipts and reminders outside the 24-hour window
    # go as these approved utility templates.
    whatsapp_receipt_template: str = "recibo_pagamento"
    whatsapp_closing_template: str = "acordo_quitado"
    whatsapp_reminder_template: str = "lembrete_vencimento"
    whatsapp_followup_template: str = "acompanhamento_pagamento"
    # Days before each due date a reminder goes out (comma-separated), and one on the day itself.
    reminder_days_before: str = "3"
    reminder_on_due_date: bool = True
    # Days after an unpaid due date for the kind follow-up, and for the agreement to be broken.
    followup_days_after: int = Field(default=1, ge=1, le=30)
    broken_after_days: int = Field(default=10, ge=1, le=120)
    lifecycle_interval_seconds: float = Field(default=300, gt=0)

    @property
    def runs_background(self) -> bool:
        return self.background == "on" or (self.background == "auto" and self.run_background_workers)

    @field_validator("reminder_days_before")
    @classmethod
    def _days_before(cls, v: str) -> str:
        parse_days(v)
        return v

    @field_validator("contact_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        parse_contact_hours(v)
        return v

    @field_validator("crm_base_url")
    @classmethod
    def _crm_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("use uma URL http:// ou https://")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _waha_rules(self) -> BotSettings:
        if self.waha_send_delay_max_seconds < self.waha_send_delay_min_seconds:
            raise ValueError("WAHA_SEND_DELAY_MAX_SECONDS: menor que WAHA_SEND_DELAY_MIN_SECONDS")
        if self.environment == "production" and self.whatsapp_provider == "waha" and not self.waha_webhook_hmac_key:
            raise ValueError("WAHA_WEBHOOK_HMAC_KEY: obrigatória em produção com WHATSAPP_PROVIDER=waha")
        return self

    @model_validator(mode="after")
    def _pool_rules(self) -> BotSettings:
        hot = self.database_pools.hot
        if self.worker_concurrency >= hot.size + hot.overflow:
            raise ValueError(
                f"WORKER_CONCURRENCY: precisa ficar abaixo das {hot.size + hot.overflow} conexões do caminho "
                f"quente que DATABASE_MAX_CONNECTIONS={self.database_max_connections} dá, para o webhook sempre "
                "achar conexão (diminua um ou aumente o outro)"
            )
        return self

    @property
    def database_pools(self) -> PoolSplit:
        return pool_split(self.database_max_connections)

    @property
    def webhook_secret(self) -> str | None:
        if self.whatsapp_app_secret is not None:
            return self.whatsapp_app_secret.get_secret_value()
        # The sandbox signs its own simulated webhooks; a real number always has its app secret.
        return "sandbox-app-secret" if self.whatsapp_sandbox else None

    @property
    def offline_only(self) -> bool:
        return self.certobot_model == "rules" or (self.certobot_model.startswith("groq:") and self.groq_api_key is None)
