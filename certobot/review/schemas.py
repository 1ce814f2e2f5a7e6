from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ReviewStatus = Literal["pending", "labelled", "all"]


class ContextLine(BaseModel):
    id: int
    direction: str
    author: str
    text: str = Field(description="Mascarado: dígitos de CPF e telefone escondidos.")
    at: datetime
    target: bool = Field(description="Esta é a mensagem que a assistente não entendeu.")


class ReviewItem(BaseModel):
    id: int = Field(description="O id da mensagem do devedor.")
    session_id: str
    text: str
    at: datetime
    reason: Literal["fallback", "handoff"]
    reason_label: str
    understood: str | None = Field(description="A intenção que a assistente entendeu.")
    label: str | None = Field(description="A intenção que deveria ter sido, dada pela supervisão, ou 'ignorar'.")
    labelled_by: str | None
    labelled_at: datetime | None
    context: list[ContextLine]


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    total: int
    page: int
    page_size: int
    intents: list[str] = Field(description="As intenções que um rótulo pode ter, além de 'ignorar'.")


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"label": "hardship"}})

    label: Annotated[str, Field(min_length=1, max_length=32, description="Uma intenção da lista, ou 'ignorar'.")]


class CorpusRow(BaseModel):
    """A line of the classifier's training data (tests/data/corpus.jsonl, negotiation/data/*.jsonl)."""

    text: str
    intent: str
