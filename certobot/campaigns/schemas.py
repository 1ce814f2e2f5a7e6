from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

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
    per_minute: Annotated[int, Field(ge=1, le=600)] = 30

    @model_validator(mode="after")
    def _one_source(self) -> CampaignCreate:
        if (self.cpfs is None) == (self.filter is None):
            raise ValueError("informe cpfs ou filter (um dos dois)")
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
    created_at: datetime
    finished_at: datetime | None
