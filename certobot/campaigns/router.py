from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from certobot.campaigns import service
from certobot.campaigns.schemas import CampaignCreate, CampaignView
from certobot.deps import ClockDep, OperatorKey, PrincipalDep, SessionDep, SettingsDep, require_role
from certobot.operators.service import audit
from certokit.errors import Unauthorized, error_responses

router = APIRouter(
    prefix="/api/campaigns",
    tags=["campanhas"],
    dependencies=[OperatorKey, require_role("supervisor")],
    responses=error_responses(Unauthorized),
)


@router.post(
    "",
    response_model=CampaignView,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Cria uma campanha (lista de CPFs ou filtro do CRM) que abre conversas em ritmo controlado",
)
async def create(
    data: CampaignCreate, db: SessionDep, settings: SettingsDep, clock: ClockDep, who: PrincipalDep
) -> CampaignView:
    now = clock.now()
    campaign = await service.create(db, data, now)
    await db.flush()
    await audit(db, who, "create_campaign", target=campaign.id, detail={"total": campaign.total})
    return await service.view(db, campaign.id, settings, now)


@router.get(
    "/{campaign_id}",
    response_model=CampaignView,
    responses=error_responses(service.CampaignNotFound),
    summary="Progresso: na fila, enviadas, entregues, respondidas, validadas, acordos, falhas",
)
async def get(
    campaign_id: Annotated[str, Path(max_length=64)], db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> CampaignView:
    return await service.view(db, campaign_id, settings, clock.now())
