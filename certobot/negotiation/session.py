"""The live state of a conversation, kept in Redis, and the state machine it obeys.

Postgres keeps the durable record (`conversations`); Redis keeps what a turn needs quickly: the phase,
the validation attempts and the negotiation state (offers, discount step, model history). If Redis
loses a session, it is rebuilt from the row with a fresh negotiation state: the debtor sees the
current offer again, never an amount the policy has not checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from certobot.crm.schemas import DebtorInfo
from certobot.negotiation.brain import NegotiationState

Phase = Literal["validation", "negotiation", "agreement", "completion"]
Status = Literal["active", "completed", "failed", "abandoned", "handoff"]

# validation → negotiation → agreement → completion; agreement may go back to negotiation when the
# debtor changes their mind; any phase may end (completion) on opt-out, wrong person or timeout.
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    "validation": frozenset({"validation", "negotiation", "completion"}),
    "negotiation": frozenset({"negotiation", "agreement", "completion"}),
    "agreement": frozenset({"agreement", "negotiation", "completion"}),
    "completion": frozenset({"completion"}),
}
LIVE: frozenset[Status] = frozenset({"active", "handoff"})


class InvalidTransition(Exception):
    """A phase change the state machine does not allow (a bug, never the debtor's doing)."""


class SessionState(BaseModel):
    session_id: str
    phone_key: str
    debtor_cpf: str | None
    phase: Phase = "validation"
    status: Status = "active"
    validation_attempts: int = 0
    prompts: int = 0  # times the CPF question was asked (the opening template counts as one)
    second_factor: bool = False  # the digits were right; the second question (high amounts) is pending
    started_at: datetime
    version: int = 0  # the conversation row's state_version this state belongs to
    said: int = 0  # turns the bot answered: picks the phrasing, so a repeated situation reads differently
    last_reply: str | None = None  # never the same sentence twice in a row
    negotiation: NegotiationState = Field(default_factory=NegotiationState)
    # The debtor as the CRM answered a moment ago (Redis only, never the durable copy): turns a few
    # seconds apart do not ask the CRM again.
    debtor: DebtorInfo | None = None
    debtor_at: datetime | None = None

    def move(self, phase: Phase) -> None:
        if phase not in TRANSITIONS[self.phase]:
            raise InvalidTransition(f"{self.phase} → {phase}")
        self.phase = phase

    def end(self, status: Status) -> None:
        self.move("completion")
        self.status = status

    @property
    def validated(self) -> bool:
        return self.phase in ("negotiation", "agreement") or (self.phase == "completion" and self.negotiation.turns > 0)


def session_key(phone_key: str) -> str:
    """Keyed by phone, beside the conversation's lock: one script takes the lock and reads the session."""
    return f"certobot:session:{phone_key}"


class SessionStore:
    """The phone's live session as JSON under `certobot:session:{phone_key}`, kept a while after the end.

    It carries the conversation's id and the `state_version` it belongs to: a session of another
    conversation, or older than the row, is not trusted (the turn takes the durable copy instead).
    """

    def __init__(self, redis: Redis, *, keep_seconds: int) -> None:
        self.redis = redis
        self.keep_seconds = keep_seconds

    async def load(self, phone_key: str, session_id: str) -> SessionState | None:
        raw = await self.redis.get(session_key(phone_key))
        state = SessionState.model_validate_json(raw) if raw else None
        return state if state is not None and state.session_id == session_id else None

    async def save(self, state: SessionState) -> None:
        await self.redis.set(session_key(state.phone_key), state.model_dump_json(), ex=self.keep_seconds)
