from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from certobot.campaigns.ddd import DDD_UF
from certokit.fields import Cpf, ShortText


class CrmFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_days_past_due: Annotated[int, Field(ge=0, le=100_000)] | None = None
    max_days_past_due: Annotated[int, Field(ge=0, le=100_000)] | None = None
    min_amount: Annotated[Decimal, Field(ge=0, le=100_000_000, allow_inf_nan=False)] | None = None
    max_amount: Annotated[Decimal, Field(ge=0, le=100_000_000, allow_inf_nan=False)] | None = None


UF = Literal[
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA",
    "PB", "PE", "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
]  # fmt: skip


class Segment(BaseModel):
    """Who a campaign talks to. Every filter is optional; together they must all hold."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"name": "SP 90+ dias", "min_days_past_due": 90, "ufs": ["SP"], "last_contact": "never"}
        },
    )

    name: Annotated[ShortText, Field(min_length=1, max_length=80)] | None = Field(
        default=None, description="Nome do segmento, para filtrar o painel por ele."
    )
    min_days_past_due: Annotated[int, Field(ge=0, le=100_000)] | None = None
    max_days_past_due: Annotated[int, Field(ge=0, le=100_000)] | None = None
    min_amount_cents: Annotated[int, Field(ge=0, le=10_000_000_000)] | None = None
    max_amount_cents: Annotated[int, Field(ge=0, le=10_000_000_000)] | None = None
    creditor: Annotated[ShortText, Field(min_length=1, max_length=120)] | None = None
    ufs: Annotated[list[UF], Field(max_length=27)] = Field(default_factory=list, description="Estados (pelo DDD).")
    ddds: Annotated[list[int], Field(max_length=70)] = Field(default_factory=list)
    last_contact: Literal["any", "never", "older_than"] = Field(
        default="any", description="any: tanto faz; never: nunca contatados; older_than: há mais de N dias."
    )
    last_contact_days: Annotated[int, Field(ge=1, le=3650)] | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Segment:
        if (
            self.min_days_past_due is not None
            and self.max_days_past_due is not None
            and self.min_days_past_due > self.max_days_past_due
        ):
            raise ValueError(
                f"o mínimo de dias de atraso ({self.min_days_past_due}) é maior que o máximo ({self.max_days_past_due})"
            )
        if (
            self.min_amount_cents is not None
            and self.max_amount_cents is not None
            and self.min_amount_cents > self.max_amount_cents
        ):
            raise ValueError("o valor mínimo é maior que o valor máximo")
        bad = sorted(d for d in self.ddds if d not in DDD_UF)
        if bad:
            raise ValueError(f"DDD que não existe: {', '.join(str(d) for d in bad)}")
        if self.last_contact == "older_than" and self.last_contact_days is None:
            raise ValueError("diga há quantos dias (last_contact_days) para 'último contato há mais de N dias'")
        if self.last_contact != "older_than" and self.last_contact_days is not None:
            raise ValueError("last_contact_days só vale com last_contact = older_than")
        return self


Weekday = Annotated[int, Field(ge=0, le=6)]


class Recurrence(BaseModel):
    """A campaign that runs again: every day or on chosen weekdays, at a time of São Paulo."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"every": "weekly", "weekdays": [0, 3], "at": "10:00"}}
    )

    every: Literal["daily", "weekly"]
    weekdays: Annotated[list[Weekday], Field(max_length=7)] = Field(
        default_factory=list, description="0 = segunda … 6 = domingo; obrigatório quando every = weekly."
    )
    at: time = Field(description="Hora de São Paulo (HH:MM), dentro do horário de contato.")
    skip_contacted_hours: Annotated[int, Field(ge=0, le=720)] | None = Field(
        default=None,
        description="Pula quem foi contatado nas últimas N horas; sem ele, vale MIN_CONTACT_INTERVAL_HOURS.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Recurrence:
        if self.every == "weekly" and not self.weekdays:
            raise ValueError("escolha ao menos um dia da semana para a repetição semanal")
        if self.every == "daily" and self.weekdays:
            raise ValueError("a repetição diária não leva dias da semana; use every = weekly")
        if self.at.tzinfo is not None:
            raise ValueError("informe só a hora (HH:MM), sem fuso: vale o horário de Brasília")
        self.weekdays = sorted(set(self.weekdays))
        return self


class CampaignCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"name": "Cartões 90+ dias", "cpfs": ["111.444.777-35"], "per_minute": 30}},
    )

    name: Annotated[str, Field(min_length=1, max_length=120)] = "Campanha"
    cpfs: Annotated[list[Cpf], Field(max_length=100_000)] | None = None
    filter: CrmFilter | None = None
    upload_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    segment: Segment | None = Field(
        default=None,
        description="Sozinho: um segmento da carteira do CRM. Com upload_id ou cpfs: filtra essas linhas.",
    )
    recurrence: Recurrence | None = Field(
        default=None, description="Repete a campanha (só com um segmento da carteira), reavaliando-o a cada vez."
    )
    per_minute: Annotated[int, Field(ge=1, le=600)] = 30
    start_at: datetime | None = Field(
        default=None, description="Quando começar (com fuso); sem ele, começa já. Respeita o horário de contato."
    )

    @model_validator(mode="after")
    def _one_source(self) -> CampaignCreate:
        sources = sum(x is not None for x in (self.cpfs, self.filter, self.upload_id))
        if sources > 1 or (sources == 0 and self.segment is None):
            raise ValueError("informe cpfs, filter, upload_id ou segment (só uma origem)")
        if self.filter is not None and self.segment is not None:
            raise ValueError("use segment ou filter, não os dois")
        if self.recurrence is not None and (self.segment is None or sources):
            raise ValueError(
                "uma campanha recorrente precisa de um segmento da carteira (segment sem cpfs nem arquivo)"
            )
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
    segment: Segment | None = None
    recurrence: Recurrence | None = None
    next_run_at: datetime | None = Field(default=None, description="Próxima execução de uma campanha recorrente.")
    runs: list[RunView] = Field(default_factory=list, description="As execuções mais recentes primeiro (até 10).")


class RunView(BaseModel):
    id: int
    started_at: datetime
    status: Literal["evaluating", "sending", "done", "failed"]
    matched: int = Field(description="Devedores do segmento nessa execução.")
    queued: int = Field(description="Postos na fila (os demais foram pulados).")
    skipped: dict[str, int] = Field(description="Pulados, por motivo.")
    sent: int
    refused: int
    failed: int
    error: str | None = None


class SegmentPreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment: Segment
    upload_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="Filtra as linhas válidas desse envio em vez da carteira inteira."
    )
    skip_contacted_hours: Annotated[int, Field(ge=0, le=720)] | None = Field(
        default=None, description="Como na recorrência; sem ele, vale MIN_CONTACT_INTERVAL_HOURS, como na criação."
    )


class SampleDebtor(BaseModel):
    name: str = Field(description="Só o primeiro nome.")
    cpf: str = Field(description="Mascarado: só os dois últimos dígitos.")
    uf: str | None
    days_past_due: int
    amount_cents: int
    creditor: str


class SegmentPreview(BaseModel):
    count: int = Field(description="Quantos seriam contatados agora.")
    matched: int = Field(description="Quantos estão no segmento, antes de pular quem não pode ser contatado.")
    skipped: dict[str, int]
    skipped_labels: dict[str, str]
    sample: list[SampleDebtor]


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


CampaignView.model_rebuild()
