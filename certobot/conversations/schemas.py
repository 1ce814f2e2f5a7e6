from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from certobot.lifecycle.schemas import AgreementSummary
from certokit.fields import Cpf, LongText

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class StartConversation(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"cpf": "111.444.777-35"}})

    cpf: Cpf


class Started(BaseModel):
    session_id: str
    status: str = "active"


class ConversationSummary(BaseModel):
    session_id: str
    phone: str = Field(description="Telefone mascarado: só os 4 últimos dígitos.")
    debtor_cpf: str | None = Field(description="CPF mascarado.")
    origin: str
    status: str
    phase: str
    validation_attempts: int
    outcome_kind: str | None
    attention: str | None = Field(
        default=None,
        description='"crisis": a pessoa falou em tirar a própria vida e ninguém da equipe respondeu ainda.',
    )
    created_at: datetime
    updated_at: datetime


class TranscriptLine(BaseModel):
    direction: Literal["in", "out"]
    author: str
    kind: str
    text: str
    status: str
    at: datetime


class ConversationDetail(ConversationSummary):
    transcript: list[TranscriptLine]
    outcome: dict[str, Any] | None = Field(description="O ConversationOutcome enviado ao CRM, quando houver.")
    agreement: AgreementSummary | None = Field(
        default=None, description="O acordo como o CRM informou no último pagamento: status, pago e em aberto."
    )


class OperatorMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"text": "Oi, aqui é a Ana da equipe."}})

    text: Annotated[LongText, Field(min_length=1, max_length=4096)]


class Handoff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: Annotated[str, Field(max_length=80)] | None = None
