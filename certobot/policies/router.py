"""`GET/PUT /api/policies`: supervisors read the creditors' negotiation policies, admins edit them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from certobot.deps import ClockDep, PrincipalDep, ResourcesDep, SessionDep, require_role
from certobot.operators.auth import RoleRequired
from certobot.policies import service
from certobot.policies.schemas import PolicyChange, PolicyIn, PolicyOut
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/policies",
    tags=["política de negociação"],
    responses=error_responses(Unauthorized, RoleRequired),
)


@router.get(
    "",
    response_model=list[PolicyOut],
    dependencies=[require_role("supervisor")],
    summary="As políticas de negociação por credor e segmento (supervisor)",
)
async def list_policies(db: SessionDep) -> list[PolicyOut]:
    return await service.list_policies(db)


@router.get(
    "/history",
    response_model=list[PolicyChange],
    dependencies=[require_role("supervisor")],
    summary="Quem alterou qual política, quando, com o antes e o depois (supervisor)",
)
async def history(db: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[PolicyChange]:
    return await service.history(db, limit)


@router.get(
    "/{policy_id}",
    response_model=PolicyOut,
    dependencies=[require_role("supervisor")],
    responses=error_responses(service.PolicyNotFound),
    summary="Uma política (supervisor)",
)
async def get_policy(policy_id: Annotated[int, Path(ge=1, le=2**62)], db: SessionDep) -> PolicyOut:
    return await service.get_policy(db, policy_id)


@router.put(
    "",
    response_model=PolicyOut,
    dependencies=[require_role("admin")],
    responses=error_responses(service.PolicyInvalid, service.PolicyChanged),
    summary="Cria ou altera a política de um credor e segmento (admin); vale para a próxima oferta",
)
async def put_policy(data: PolicyIn, resources: ResourcesDep, clock: ClockDep, who: PrincipalDep) -> PolicyOut:
    return await service.save_policy(resources.sessionmaker, resources.policies, who, data, clock.now())
