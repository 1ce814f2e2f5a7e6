"""Login, accounts and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import select

from certobot.deps import PrincipalDep, ResourcesDep, SessionDep, require_role
from certobot.operators import service
from certobot.operators.auth import RoleRequired, token_secret
from certobot.operators.models import AuditEntry
from certobot.operators.schemas import AuditOut, Login, TokenOut, UserCreate, UserOut
from certobot.security.throttle import throttled
from certokit.errors import Unauthorized, error_responses

router = APIRouter(tags=["operadores"])


@router.post(
    "/api/auth/login",
    response_model=TokenOut,
    responses=error_responses(Unauthorized),
    summary="Entra com usuário e senha; devolve um token de curta duração",
)
async def login(data: Login, request: Request, db: SessionDep, resources: ResourcesDep) -> TokenOut:
    s = resources.settings
    user = await throttled(
        resources.redis,
        request.client.host if request.client else "?",
        lambda: service.authenticate(db, data.username, data.password),
        max_failures=s.auth_max_failures,
        window_seconds=s.auth_failure_window_seconds,
    )
    token = service.issue_token(user, token_secret(s), now=resources.clock.now(), minutes=s.operator_token_minutes)
    return TokenOut(access_token=token, expires_in=s.operator_token_minutes * 60, role=user.role)


@router.post(
    "/api/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[require_role("admin")],
    responses=error_responses(Unauthorized, RoleRequired, service.UserExists),
    summary="Cria um usuário (admin)",
)
async def create_user(data: UserCreate, db: SessionDep, who: PrincipalDep) -> UserOut:
    user = await service.create_user(db, username=data.username, password=data.password, role=data.role)
    await service.audit(db, who, "create_user", target=user.username, detail={"role": user.role})
    return UserOut(username=user.username, role=user.role, active=user.active)


@router.get(
    "/api/audit",
    response_model=list[AuditOut],
    dependencies=[require_role("admin")],
    responses=error_responses(Unauthorized, RoleRequired),
    summary="Registro de auditoria: quem viu, assumiu, enviou, exportou ou apagou o quê, e quando (admin)",
)
async def audit_log(
    db: SessionDep,
    action: Annotated[str | None, Query(max_length=30)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    rows = await db.scalars(stmt)
    return [
        AuditOut(at=r.at, actor=r.actor, role=r.role, action=r.action, target=r.target, detail=r.detail) for r in rows
    ]
