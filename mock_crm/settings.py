"""Settings of the mock CRM, its own: it reads no setting class of the bot.

Names follow CONTRACT §2; where the bot uses the same name (WhatsApp, creditor, `CRM_API_KEY`) it
means the same thing. `CRM_DATABASE_URL` overrides `DATABASE_URL` for this service only; on Postgres
the CRM's tables live in the `crm` schema of whichever database that is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from certokit import sealing
from certokit.cpf import is_valid_cnpj
from certokit.db import async_database_url
from certokit.production import production_refusal
from certokit.startup import blank_is_unset

DEV_CRM_KEY = "dev-crm-key"
DEV_WEBHOOK_SECRET = "dev-crm-webhook-secret"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./certobot-crm.db"
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v25.0"
# The Postgres schema holding the CRM's tables and its migrations' version table.
SCHEMA = "crm"


class CrmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    environment: Literal["development", "production"] = "development"
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=AliasChoices("CRM_DATABASE_URL", "DATABASE_URL")
    )
    # Connections to Postgres this process may open (a sixth of them only under a burst), and one more
    # for the throttle's LISTEN: size it so every process fits the server's `max_connections`
    # (docs/scaling.md). The bot's setting of the same name counts its own.
    database_max_connections: int = Field(
        default=30,
        ge=2,
        le=1000,
        validation_alias=AliasChoices("CRM_DATABASE_MAX_CONNECTIONS", "DATABASE_MAX_CONNECTIONS"),
    )
    # Open the pool at start, each connection with the debtors' lookup run once
    # (mock_crm.debtors.repository.warm_lookup): the bot's first burst of "oi" does not pay for it.
    database_warm_up: bool = Field(
        default=True, validation_alias=AliasChoices("CRM_DATABASE_WARM_UP", "DATABASE_WARM_UP")
    )
    crm_api_key: SecretStr = SecretStr(DEV_CRM_KEY)
    # Signs the payment webhooks to the bot (HMAC-SHA256); the bot holds the same secret.
    crm_webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)
    # Where the CRM posts payment webhooks (the bot's POST /webhooks/crm/payments).
    certobot_base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    log_json: bool = True
    log_file: str | None = None
    # Request bodies larger than this are refused while they stream in, before parsing or auth.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # The delivery loop is woken by Postgres NOTIFY; this slow poll only catches backoffs and misses.
    outbox_poll_seconds: float = Field(default=15.0, gt=0, le=600)

    # The CRM sends boletos through the WhatsApp Cloud API.
    whatsapp_api_base_url: str = DEFAULT_GRAPH_URL
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    # Where sends go when no access token is set: the bot's built-in fake Graph API.
    whatsapp_sandbox_url: str = "http://127.0.0.1:8000/sandbox/v25.0"
    # Which WhatsApp channel delivers the boletos: Meta's Cloud API, or a self-hosted WAHA.
    whatsapp_provider: Literal["meta", "waha"] = "meta"
    waha_base_url: str = "http://localhost:3000"
    waha_api_key: SecretStr | None = None
    waha_session: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,54}$")

    # CPFs, phones and boleto PDFs at rest: AES-256-GCM keys `id:base64,...` (the first seals, all
    # open) and the HMAC key of the lookup hashes. Unset: fixed development keys, refused in production.
    data_keys: SecretStr | None = None
    data_hash_key: SecretStr | None = None
    # Wrong API keys one client may send per window before every call from it gets 429.
    auth_max_failures: int = Field(default=10, ge=1)
    auth_failure_window_seconds: int = Field(default=300, ge=1)

    # Who collects (CDC art. 42-A): shown on every boleto.
    creditor_name: str = "Certo Recuperadora de Créditos Ltda"
    creditor_cnpj: str = "11.222.333/0001-81"
    creditor_address: str = "Av. Paulista, 1000, 10º andar, Bela Vista, São Paulo - SP, 01310-100"

    pix_key: str = "11222333000181"
    boleto_bank_code: Annotated[str, Field(pattern=r"^\d{3}$")] = "341"
    boleto_agency: Annotated[str, Field(pattern=r"^\d{4}$")] = "1500"
    boleto_account: Annotated[str, Field(pattern=r"^\d{5,6}$")] = "12345"
    boleto_carteira: Annotated[str, Field(pattern=r"^\d{3}$")] = "109"
    # Espécie do documento on the slip: DM (duplicata mercantil) or DS (duplicata de serviço).
    boleto_especie_doc: Literal["DM", "DS"] = "DS"
    pix_merchant_city: str = "SAO PAULO"
    public_base_url: str | None = None
    mock_debtors_count: int = Field(default=120, ge=0, le=100_000)
    seed: int = Field(default=20261122, validation_alias="MOCK_SEED")
    # After the due date, printed in the boleto's instructions: a fine once (CDC art. 52 §1º caps it
    # at 2%) and simple interest per day (1% a month is 0.033% a day).
    late_fee_percentage: Decimal = Field(default=Decimal("2.00"), ge=0, le=2, decimal_places=2)
    daily_interest_percentage: Decimal = Field(default=Decimal("0.033"), ge=0, le=1, decimal_places=4)
    run_background_workers: bool = Field(
        default=True, validation_alias=AliasChoices("CRM_RUN_WORKERS", "RUN_BACKGROUND_WORKERS")
    )
    # off: no background work in this process; on: all of it; auto: as RUN_BACKGROUND_WORKERS says.
    # The CRM has no singleton loop: boleto delivery and payment webhooks claim rows with a lease
    # (FOR UPDATE SKIP LOCKED), so every process that runs them shares the work without election.
    background: Literal["auto", "on", "off"] = Field(
        default="auto", validation_alias=AliasChoices("CRM_BACKGROUND", "BACKGROUND")
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        return async_database_url(v)

    @field_validator(
        "log_file",
        "whatsapp_access_token",
        "whatsapp_phone_number_id",
        "public_base_url",
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
    def runs_background(self) -> bool:
        return self.background == "on" or (self.background == "auto" and self.run_background_workers)

    @property
    def whatsapp_sandbox(self) -> bool:
        if self.whatsapp_provider == "waha":
            return False  # WAHA is self-hosted: there is always a real (or fake) server to talk to
        return not (self.whatsapp_access_token and self.whatsapp_phone_number_id)

    @model_validator(mode="after")
    def _no_placeholders_in_production(self) -> CrmSettings:
        if self.environment != "production":
            return self
        channel = (
            {"WAHA_API_KEY": self.waha_api_key}
            if self.whatsapp_provider == "waha"
            else {"WHATSAPP_ACCESS_TOKEN": self.whatsapp_access_token}
        )
        refusal = production_refusal(
            sandbox=self.whatsapp_sandbox, required={"CRM_API_KEY": self.crm_api_key, **channel}
        ) or sealing.keys_refusal(
            "mock_crm",
            self.data_keys.get_secret_value() if self.data_keys else None,
            self.data_hash_key.get_secret_value() if self.data_hash_key else None,
        )
        if refusal is not None:
            raise ValueError(refusal)
        return self
