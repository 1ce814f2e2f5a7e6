"""Settings of the bot, and the pieces of configuration both services share.

Names follow CONTRACT §2. Each service builds its settings once, in its lifespan or CLI, through
`load_settings`; a missing or malformed value becomes one line that names the variable.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from certobot.cpf import is_valid_cnpj

DEV_CRM_KEY = "dev-crm-key"
DEV_WEBHOOK_SECRET = "dev-crm-webhook-secret"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./certobot.db"
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v25.0"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class _Base(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    crm_api_key: SecretStr = SecretStr(DEV_CRM_KEY)
    # Shared by the CRM (signs payment webhooks, HMAC-SHA256) and the bot (checks them).
    crm_webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)
    log_level: str = "INFO"
    log_json: bool = True
    log_file: str | None = None

    # WhatsApp Cloud API: the CRM sends boletos through it too.
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

    # Who collects (CDC art. 42-A): shown on request and on every boleto.
    creditor_name: str = "Certo Recuperadora de Créditos Ltda"
    creditor_cnpj: str = "11.222.333/0001-81"
    creditor_address: str = "Av. Paulista, 1000, 10º andar, Bela Vista, São Paulo - SP, 01310-100"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        if v.startswith(("postgres://", "postgresql://")):
            # Hosting platforms hand out sync URLs; the services are async only.
            return re.sub(r"^postgres(ql)?://", "postgresql+asyncpg://", v)
        if not v.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use postgresql+asyncpg://… ou sqlite+aiosqlite:///…")
        return v

    @field_validator("creditor_cnpj")
    @classmethod
    def _cnpj(cls, v: str) -> str:
        if not is_valid_cnpj(v):
            raise ValueError("CNPJ inválido (dígitos verificadores não conferem)")
        return v

    @field_validator("whatsapp_api_base_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @property
    def whatsapp_sandbox(self) -> bool:
        return not (self.whatsapp_access_token and self.whatsapp_phone_number_id)

    @model_validator(mode="after")
    def _no_placeholders_in_production(self) -> _Base:
        if self.environment == "production" and self.crm_api_key.get_secret_value() == DEV_CRM_KEY:
            raise ValueError("CRM_API_KEY: defina uma chave real em produção")
        if self.environment == "production" and self.crm_webhook_secret.get_secret_value() == DEV_WEBHOOK_SECRET:
            raise ValueError("CRM_WEBHOOK_SECRET: defina um segredo real em produção")
        return self


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
    crm_base_url: str = "http://localhost:8001"
    certobot_api_key: SecretStr | None = None
    certobot_model: str = "groq:openai/gpt-oss-120b"
    groq_api_key: SecretStr | None = None
    groq_base_url: str | None = None
    model_timeout_seconds: float = Field(default=4.0, gt=0)
    conversation_timeout_seconds: int = Field(default=180, ge=10)
    max_validation_attempts: int = Field(default=3, ge=1, le=10)
    contact_hours: str = "mon-fri 08:00-20:00; sat 08:00-14:00"
    holidays: str = ""
    min_contact_interval_hours: int = Field(default=24, ge=0)
    # Messages per minute one phone may make us process; beyond it they are stored, not answered.
    flood_limit_per_minute: int = Field(default=30, ge=1)
    run_background_workers: bool = Field(
        default=True, validation_alias=AliasChoices("CERTOBOT_RUN_WORKERS", "RUN_BACKGROUND_WORKERS")
    )
    # Conversations one process works on at once. Kept under the database pool (10 + 20 overflow)
    # so the webhook always finds a connection: acceptance must stay fast while turns pile up.
    worker_concurrency: int = Field(default=16, ge=1, le=25)

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

    @property
    def webhook_secret(self) -> str | None:
        if self.whatsapp_app_secret is not None:
            return self.whatsapp_app_secret.get_secret_value()
        # The sandbox signs its own simulated webhooks; a real number always has its app secret.
        return "sandbox-app-secret" if self.whatsapp_sandbox else None

    @property
    def offline_only(self) -> bool:
        return self.certobot_model == "rules" or (self.certobot_model.startswith("groq:") and self.groq_api_key is None)


class CrmSettings(_Base):
    pix_key: str = "11222333000181"
    boleto_bank_code: Annotated[str, Field(pattern=r"^\d{3}$")] = "341"
    boleto_agency: Annotated[str, Field(pattern=r"^\d{4}$")] = "1500"
    boleto_account: Annotated[str, Field(pattern=r"^\d{5,6}$")] = "12345"
    boleto_carteira: Annotated[str, Field(pattern=r"^\d{3}$")] = "109"
    pix_merchant_city: str = "SAO PAULO"
    public_base_url: str | None = None
    mock_debtors_count: int = Field(default=120, ge=0, le=100_000)
    seed: int = Field(default=20261122, validation_alias="MOCK_SEED")
    late_fee_percentage: Decimal = Decimal("2.00")
    # Where the CRM posts payment webhooks (the bot's POST /webhooks/crm/payments).
    certobot_base_url: str = "http://127.0.0.1:8000"
    run_background_workers: bool = Field(
        default=True, validation_alias=AliasChoices("CRM_RUN_WORKERS", "RUN_BACKGROUND_WORKERS")
    )


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings, turning a validation error into one line that names the variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "?"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"Configuração inválida: {name}: {msg}") from None
