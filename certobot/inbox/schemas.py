from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from certokit.fields import LongText

Status = Literal["active", "handoff", "completed", "failed", "abandoned"]


class InboxQuery(BaseModel):
    """In a body, never in the URL: a CPF or a phone typed in the search must not reach access logs."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"q": "Maria", "status": "handoff", "page": 1}}
    )

    q: Annotated[str, Field(max_length=120, description="Nome, CPF ou telefone.")] = ""
    status: Status | None = None
    outcome: Annotated[str, Field(max_length=30)] | None = None
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 20


class InboxRow(BaseModel):
    session_id: str
    debtor_name: str | None
    cpf: str | None = Field(description="Mascarado: só os dois últimos dígitos.")
    phone: str = Field(description="Mascarado: só os quatro últimos dígitos.")
    amount: Decimal | None = Field(description="Valor da dívida em reais.")
    status: str
    status_label: str
    phase_label: str
    outcome_kind: str | None
    outcome_label: str
    attention: str | None = Field(
        default=None, description='"crisis": ninguém da equipe respondeu ainda a quem falou em tirar a vida.'
    )
    attention_label: str | None = None
    note: str | None
    created_at: datetime
    updated_at: datetime


class InboxPage(BaseModel):
    items: list[InboxRow]
    total: int
    page: int
    page_size: int


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"note": "Pediu retorno depois das 18h."}})

    note: Annotated[LongText, Field(max_length=2000)]


class NoteOut(BaseModel):
    note: str | None
    note_by: str | None
    note_at: datetime | None
