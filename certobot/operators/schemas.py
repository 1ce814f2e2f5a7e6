from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from certobot.operators.roles import Role


class Login(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=60)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: Role


class UserCreate(BaseModel):
    username: Annotated[str, Field(min_length=3, max_length=60)]
    password: Annotated[str, Field(min_length=12, max_length=200)]
    role: Role


class UserOut(BaseModel):
    username: str
    role: str
    active: bool


class AuditOut(BaseModel):
    at: datetime
    actor: str
    role: str
    action: str
    target: str | None
    detail: dict[str, Any] | None
