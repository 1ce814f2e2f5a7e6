from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile, status

from certobot.campaigns import service, uploads
from certobot.campaigns.schemas import (
    CampaignCreate,
    CampaignPage,
    CampaignView,
    Segment,
    SegmentPreview,
    SegmentPreviewRequest,
    UploadReport,
)
from certobot.conversations.service import CrmDown
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.crm.schemas import DebtorInfo
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
from certobot.resources import Resources
from certokit.errors import Conflict, Unauthorized, error_responses

router = APIRouter(
    prefix="/api/campaigns",
    tags=["campanhas"],
    dependencies=[OperatorKey, require_role("supervisor")],
    responses=error_responses(Unauthorized),
)

CampaignId = Annotated[str, Path(max_length=64)]


def crm_of(resources: Resources) -> CrmClient:
    s = resources.settings
    return CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)


async def segment_debtors(
    resources: Resources, upload_id: str | None, cpfs: list[str] | None, segment: Segment
) -> list[DebtorInfo]:
    """The debtors a segment is cut from: a validated file's, the given CPFs', or the whole portfolio."""
    crm = crm_of(resources)
    if upload_id is not None:
        _, cpfs = await uploads.validated_cpfs(resources.redis, upload_id)
    try:
        if cpfs is not None:
            return await service.debtors_of(crm, cpfs)
        return await service.portfolio(crm, segment)
    except CrmUnavailable as exc:
        raise CrmDown() from exc


@router.post(
    "/segments/preview",
    response_model=SegmentPreview,
    responses=error_responses(uploads.UploadNotFound, CrmDown),
    summary="Quantos devedores um segmento alcança agora, quantos ficam de fora e por quê, com uma amostra mascarada",
)
async def preview_segment(
    data: SegmentPreviewRequest, db: SessionDep, resources: ResourcesDep, clock: ClockDep
) -> SegmentPreview:
    debtors = await segment_debtors(resources, data.upload_id, None, data.segment)
    hours = data.skip_contacted_hours
    # The same rule the creation applies, so the count shown is the count queued.
    hours = resources.settings.min_contact_interval_hours if hours is None else hours
    sel = await service.evaluate(db, debtors, data.segment, clock.now(), hours)
    return service.preview(sel)


@router.post(
    "",
    response_model=CampaignView,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(uploads.UploadNotFound, service.EmptySegment, service.NeverInContactHours, CrmDown),
    summary="Cria uma campanha (CPFs, filtro do CRM, envio validado ou segmento; única ou recorrente) "
    "que abre conversas em ritmo controlado",
)
async def create(
    data: CampaignCreate,
    db: SessionDep,
    redis: RedisDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    clock: ClockDep,
    who: PrincipalDep,
) -> CampaignView:
    now = clock.now()
    upload_name = None
    first_run = None
    if data.recurrence is not None:
        first_run = service.first_run(data.recurrence, now, data.start_at, settings)
    elif data.segment is not None:
        if data.upload_id is not None:
            upload_name, _ = await uploads.validated_cpfs(redis, data.upload_id)
        debtors = await segment_debtors(resources, data.upload_id, data.cpfs, data.segment)
        sel = await service.evaluate(db, debtors, data.segment, now, settings.min_contact_interval_hours)
        if not sel.chosen:
            raise service.EmptySegment()
        data = data.model_copy(update={"cpfs": [d.cpf for d in sel.chosen], "upload_id": None})
    if data.upload_id is not None:
        upload_name, cpfs = await uploads.validated_cpfs(redis, data.upload_id)
        if not cpfs:
            raise Conflict("Nenhuma linha válida nesse arquivo: nada a enviar.")
        data = data.model_copy(update={"cpfs": cpfs, "upload_id": None})
    campaign = await service.create(db, data, now, upload=upload_name, first_run=first_run)
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
    campaign = await service.change_status(db, campaign_id, action, now, settings)
    await db.flush()
    await audit(db, who, f"{action}_campaign", target=campaign.id)
    return await service.view(db, campaign.id, settings, now)
