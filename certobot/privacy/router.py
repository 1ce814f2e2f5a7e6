"""`POST /api/data-subject/export` and `/erase`: one request reaches the bot's data and the CRM's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from certobot.deps import OperatorKey, PrincipalDep, RedisDep, ResourcesDep, SessionDep, require_role
from certobot.operators.auth import RoleRequired
from certobot.operators.service import audit
from certobot.privacy import subject
from certokit.cpf import mask_cpf, normalize_cpf
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/data-subject",
    tags=["titular (LGPD)"],
    dependencies=[OperatorKey],
    responses=error_responses(Unauthorized, RoleRequired, subject.SubjectUnknown, subject.CrmUnreachable),
)


class SubjectRequest(BaseModel):
    cpf: Annotated[str, Field(max_length=20, description="CPF do titular, com ou sem formatação.")]

    @field_validator("cpf")
    @classmethod
    def _cpf(cls, v: str) -> str:
        digits = normalize_cpf(v)
        if digits is None:
            raise ValueError("CPF inválido")
        return digits


@router.post(
    "/export",
    dependencies=[require_role("supervisor")],
    summary="Exporta, em JSON, tudo o que o bot e o CRM guardam de um titular (supervisor)",
)
async def export(data: SubjectRequest, db: SessionDep, resources: ResourcesDep, who: PrincipalDep) -> dict[str, Any]:
    crm = await subject.crm_call(resources.http, resources.settings, "export", data.cpf)
    bot = await subject.export_bot(db, data.cpf)
    if crm is None and not bot["conversas"]:
        raise subject.SubjectUnknown()
    await audit(db, who, "export", target=mask_cpf(data.cpf))
    return {"titular": mask_cpf(data.cpf), "crm": crm, "atendimento": bot}


@router.post(
    "/erase",
    dependencies=[require_role("admin")],
    responses=error_responses(subject.SubjectInConversation),
    summary="Anonimiza os dados pessoais de um titular no bot e no CRM; resultados e valores permanecem (admin)",
)
async def erase(
    data: SubjectRequest, db: SessionDep, redis: RedisDep, resources: ResourcesDep, who: PrincipalDep
) -> dict[str, Any]:
    # The bot's rows first, inside this request's transaction; then the CRM (idempotent: a second
    # call finds nothing and says so). If the CRM fails, the rollback leaves the bot untouched too.
    conversations = await subject.erase_bot(db, redis, data.cpf)
    crm = await subject.crm_call(resources.http, resources.settings, "erase", data.cpf)
    await audit(db, who, "erase", target=mask_cpf(data.cpf), detail={"conversas": conversations})
    return {"status": "anonimizado", "conversas": conversations, "crm": crm is not None}
