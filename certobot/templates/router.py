"""`/api/templates`: what the bot says, editable by an admin, readable by the whole team."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from certobot.deps import OperatorKey, PrincipalDep, ResourcesDep, SessionDep, require_role
from certobot.operators.auth import RoleRequired
from certobot.templates import service
from certobot.templates.refresh import reload
from certobot.templates.schemas import PreviewIn, PreviewOut, RevertIn, TemplateDetail, TemplateIn, TemplateOut
from certokit.clock import today_sp
from certokit.db import transaction
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/templates",
    tags=["modelos de texto"],
    dependencies=[OperatorKey],
    responses=error_responses(Unauthorized),
)
KeyPath = Annotated[str, Path(max_length=40, description="A chave do modelo, ex.: greeting.")]
_EDIT = error_responses(RoleRequired, service.TemplateNotFound, service.TemplateInvalid, service.TemplateStale)


@router.get(
    "", response_model=list[TemplateOut], summary="Todos os textos do bot: o texto em vigor, o padrão e os marcadores"
)
async def list_templates(db: SessionDep, resources: ResourcesDep) -> list[TemplateOut]:
    return await service.list_templates(db, resources.settings)


@router.post(
    "/preview",
    response_model=PreviewOut,
    responses=error_responses(service.TemplateNotFound, service.TemplateInvalid),
    summary="Como o devedor leria o texto, com um devedor de exemplo (nada é salvo)",
)
async def preview(data: PreviewIn, resources: ResourcesDep) -> PreviewOut:
    return service.preview(data.key, data.body, resources.settings, today_sp(resources.clock.now()))


@router.get(
    "/{key}",
    response_model=TemplateDetail,
    responses=error_responses(service.TemplateNotFound),
    summary="Um texto com todas as versões salvas",
)
async def read(key: KeyPath, db: SessionDep, resources: ResourcesDep) -> TemplateDetail:
    return await service.detail(db, key, resources.settings)


@router.put(
    "/{key}",
    response_model=TemplateDetail,
    responses=_EDIT,
    dependencies=[require_role("admin")],
    summary="Salvar uma nova versão (só admin); vale para a próxima mensagem do bot",
)
async def save(key: KeyPath, data: TemplateIn, resources: ResourcesDep, who: PrincipalDep) -> TemplateDetail:
    now = resources.clock.now()
    async with transaction(resources.sessionmaker) as db:
        out = await service.save(db, key, data, who, resources.settings, now, today_sp(now))
    # Committed: this process reloads at once; the others on the NOTIFY.
    await reload(resources.sessionmaker, resources.settings, resources.clock)
    return out


@router.post(
    "/{key}/revert",
    response_model=TemplateDetail,
    responses={**_EDIT, **error_responses(service.VersionNotFound)},
    dependencies=[require_role("admin")],
    summary="Voltar a uma versão anterior (0 = texto padrão), salva como nova versão",
)
async def revert(key: KeyPath, data: RevertIn, resources: ResourcesDep, who: PrincipalDep) -> TemplateDetail:
    now = resources.clock.now()
    async with transaction(resources.sessionmaker) as db:
        out = await service.revert(db, key, data.version, who, resources.settings, now, today_sp(now))
    await reload(resources.sessionmaker, resources.settings, resources.clock)
    return out
