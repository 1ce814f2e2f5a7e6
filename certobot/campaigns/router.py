from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile, status

from certobot.campaigns import service, uploads
from certobot.campaigns.schemas import CampaignCreate, CampaignPage, CampaignView, UploadReport
from certobot.conversations.service import CrmDown
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.deps import (
    ClockDep,
    OperatorKey,
    PrincipalDep,
    RedisDep,
    ResourcesDep,
    SessionDep,
    SettingsDep,
    require_role,
)
from certobot.operators.service import audit
from certokit.errors import Conflict, Unauthorized, error_responses

router = APIRouter(
    prefix="/api/campaigns",
    tags=["campanhas"],
    dependencies=[OperatorKey, require_role("supervisor")],
    responses=error_responses(Unauthorized),
)

CampaignId = Annotated[str, Path(max_length=64)]


@router.post(
    "",
    response_model=CampaignView,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(uploads.UploadNotFound),
    summary="Cria uma campanha (CPFs, filtro do CRM ou um envio validado) que abre conversas em ritmo controlado",
)
async def create(
    data: CampaignCreate, db: SessionDep, redis: RedisDep, settings: SettingsDep, clock: ClockDep, who: PrincipalDep
) -> CampaignView:
    now = clock.now()
    upload_name = None
    if data.upload_id is not None:
        upload_name, cpfs = await uploads.validated_cpfs(redis, data.upload_id)
        if not cpfs:
            raise Conflict("Nenhuma linha válida nesse arquivo: nada a enviar.")
        data = data.model_copy(update={"cpfs": cpfs, "upload_id": None})
    campaign = await service.create(db, data, now, upload=upload_name)
    await db.flush()
    await audit(db, who, "create_campaign", target=campaign.id, detail={"total": campaign.total})
    return await service.view(db, campaign.id, settings, now)


@router.get("", response_model=CampaignPage, summary="Campanhas, das mais novas às mais antigas, com resultados")
async def list_campaigns(
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CampaignPage:
    items, total = await service.list_views(db, settings, clock.now(), limit=page_size, offset=(page - 1) * page_size)
    return CampaignPage(items=items, total=total)


@router.post(
    "/uploads",
    response_model=UploadReport,
    responses=error_responses(uploads.UploadInvalid, CrmDown),
    summary="Valida um arquivo (CSV com vírgula ou ponto e vírgula, XLSX ou JSON) linha a linha, sem enviar nada",
)
async def upload(
    resources: ResourcesDep,
    file: Annotated[UploadFile, File(description="CSV, XLSX ou JSON com os CPFs (coluna cpf).")],
) -> UploadReport:
    s = resources.settings
    content = await file.read()
    crm = CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)
    try:
        return await uploads.check_upload(resources.redis, crm, file.filename or "arquivo", content)
    except CrmUnavailable as exc:
        raise CrmDown() from exc


@router.get(
    "/{campaign_id}",
    response_model=CampaignView,
    responses=error_responses(service.CampaignNotFound),
    summary="Progresso: na fila, enviadas, entregues, respondidas, validadas, acordos, falhas",
)
async def get(campaign_id: CampaignId, db: SessionDep, settings: SettingsDep, clock: ClockDep) -> CampaignView:
    return await service.view(db, campaign_id, settings, clock.now())


@router.post(
    "/{campaign_id}/{action}",
    response_model=CampaignView,
    responses=error_responses(service.CampaignNotFound, service.CampaignStateConflict),
    summary="Pausa, retoma ou cancela uma campanha",
)
async def act(
    campaign_id: CampaignId,
    action: Literal["pause", "resume", "cancel"],
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    who: PrincipalDep,
) -> CampaignView:
    now = clock.now()
    campaign = await service.change_status(db, campaign_id, action, now)
    await db.flush()
    await audit(db, who, f"{action}_campaign", target=campaign.id)
    return await service.view(db, campaign.id, settings, now)
