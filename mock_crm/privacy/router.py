"""The CRM's part of a data-subject request; the bot calls these (POST: the CPF stays out of URLs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from certokit.cpf import normalize_cpf
from certokit.errors import Unauthorized, error_responses
from mock_crm.debtors.service import DebtorNotFound
from mock_crm.deps import ApiKey, SessionDep
from mock_crm.privacy import service

router = APIRouter(
    prefix="/api/data-subject",
    tags=["titular (LGPD)"],
    dependencies=[ApiKey],
    responses=error_responses(Unauthorized, DebtorNotFound),
)


class SubjectRequest(BaseModel):
    cpf: Annotated[str, Field(max_length=20)]

    @field_validator("cpf")
    @classmethod
    def _cpf(cls, v: str) -> str:
        digits = normalize_cpf(v)
        if digits is None:
            raise ValueError("CPF inválido")
        return digits


@router.post("/export", summary="Exporta os dados pessoais de um titular (JSON)")
async def export(data: SubjectRequest, db: SessionDep) -> dict[str, Any]:
    return await service.export(db, data.cpf)


@router.post("/erase", summary="Anonimiza os dados pessoais de um titular; resultados e valores permanecem")
async def erase(data: SubjectRequest, db: SessionDep) -> dict[str, int]:
    return await service.erase(db, data.cpf)
