from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from certokit.fields import Cpf


class CrmFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_days_past_due: Annotated[int, Field(ge=0, le=100_000)] | None = None
    max_days_past_due: Annotated[int, Field(ge=0, le=100_000)] | None = None
    min_amount: Annotated[Decimal, Field(ge=0, le=100_000_000, allow_inf_nan=False)] | None = None
    max_amount: Annotated[Decimal, Field(ge=0, le=100_000_000, allow_inf_nan=False)] | None = None


class CampaignCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"name": "Cartões 90+ dias", "cpfs": ["111.444.777-35"], "per_minute": 30}},
    )

    name: Annotated[str, Field(min_length=1, max_length=120)] = "Campanha"
    cpfs: Annotated[list[Cpf], Field(max_length=100_000)] | None = None
    filter: CrmFilter | None = None
    upload_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    per_minute: Annotated[int, Field(ge=1, le=600)] = 30
    start_at: datetime | None = Field(
        default=None, description="Quando começar (com fuso); sem ele, começa já. Respeita o horário de contato."
    )

    @model_validator(mode="after")
    def _one_source(self) -> CampaignCreate:
        if sum(x is not None for x in (self.cpfs, self.filter, self.upload_id)) != 1:
            raise ValueError("informe cpfs, filter ou upload_id (só um deles)")
        if self.start_at is not None and self.start_at.tzinfo is None:
            raise ValueError("start_at precisa de fuso horário, por exemplo 2026-12-01T09:00:00-03:00")
        return self


class Progress(BaseModel):
    queued: int = 0
    sent: int = 0
    refused: int = 0
    failed: int = 0
    delivered: int = 0
    replied: int = 0
    validated: int = 0
    agreed: int = 0


class CampaignView(BaseModel):
    id: str
    name: str
    status: str
    per_minute: int
    total: int
    progress: Progress
    paused_reason: str | None = None
    start_at: datetime
    created_at: datetime
    finished_at: datetime | None


class CampaignPage(BaseModel):
    items: list[CampaignView]
    total: int


LineStatus = Literal["ok", "invalid_cpf", "unknown_debtor", "opted_out", "prescribed", "paid", "duplicated"]


class UploadLine(BaseModel):
    line: int
    cpf: str = Field(description="Mascarado: só os dois últimos dígitos.")
    name: str | None = None
    status: LineStatus
    reason: str


class UploadReport(BaseModel):
    id: str = Field(
        description="Use como upload_id em POST /api/campaigns para criar a campanha com as linhas válidas."
    )
    filename: str
    format: Literal["csv", "xlsx", "json"]
    total: int
    valid: int
    invalid: int
    lines: list[UploadLine]
