"""The console's live stream (`GET /api/events`) and the switch "everything to people"."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from certobot.deps import ClockDep, OperatorKey, PrincipalDep, ResourcesDep, SessionDep, require_role
from certobot.live.feed import Event, LiveFeed
from certobot.live.switch import HANDOFF_ALL, read_switch, set_switch
from certobot.operators.service import audit
from certobot.resources import Resources
from certokit.db import transaction
from certokit.errors import Unauthorized, error_responses

router = APIRouter(tags=["ao vivo"], dependencies=[OperatorKey], responses=error_responses(Unauthorized))
HEARTBEAT_SECONDS = 15.0  # under the idle timeout of the usual proxies (60 s), and the console's watchdog


def feed_of(resources: Resources) -> LiveFeed:
    if resources.live is None:
        resources.live = LiveFeed(resources.settings.database_url, resources.sessionmaker)
        resources.live.end_streams_on_exit()
    return resources.live


async def stream(request: Request, feed: LiveFeed, heartbeat: float) -> AsyncIterator[str]:
    queue = feed.subscribe()
    try:
        # `retry`: how long a plain EventSource would wait before reconnecting (the console has its own).
        yield "retry: 3000\n: ao vivo\n\n"
        while not await request.is_disconnected():
            try:
                event: Event = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield ": ping\n\n"  # a comment: keeps proxies from closing an idle stream
                continue
            if event.kind == "bye":
                return
            yield f"event: {event.kind}\ndata: {json.dumps({'id': event.id})}\n\n"
    finally:
        feed.unsubscribe(queue)


@router.get(
    "/api/events",
    response_class=StreamingResponse,
    summary="Atualizações ao vivo (text/event-stream): conversa alterada, chave geral virada, recarregar tudo",
)
async def events(request: Request, resources: ResourcesDep) -> StreamingResponse:
    # Only ids go out (conversation ids are random UUIDs): the console fetches what it shows through
    # the API, with the operator's own permissions.
    return StreamingResponse(
        stream(request, feed_of(resources), HEARTBEAT_SECONDS),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class HandoffAll(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"on": True}})

    on: bool = Field(description="Ligada: toda mensagem nova vai para uma pessoa da equipe.")


class HandoffAllOut(HandoffAll):
    changed_by: str | None = None
    changed_at: str | None = None


@router.get("/api/handoff-all", response_model=HandoffAllOut, summary='A chave geral "tudo para pessoas"')
async def read_handoff_all(db: SessionDep) -> HandoffAllOut:
    row = await read_switch(db)
    if row is None:
        return HandoffAllOut(on=False)
    return HandoffAllOut(on=row.on, changed_by=row.changed_by, changed_at=row.changed_at.isoformat())


@router.put(
    "/api/handoff-all",
    response_model=HandoffAllOut,
    dependencies=[require_role("supervisor")],
    summary='Liga ou desliga "tudo para pessoas": mensagens novas vão para a equipe (supervisor)',
)
async def write_handoff_all(
    data: HandoffAll, resources: ResourcesDep, clock: ClockDep, who: PrincipalDep
) -> HandoffAllOut:
    async with transaction(resources.sessionmaker) as db:
        row = await set_switch(db, data.on, who.actor, clock.now())
        await audit(db, who, "handoff_all", target=HANDOFF_ALL, detail={"on": data.on})
    # Committed before this process's cache hears of it: a turn that reads it again finds the new value.
    resources.switches.forget()
    feed_of(resources).local(Event("switch", HANDOFF_ALL))
    return HandoffAllOut(on=row.on, changed_by=row.changed_by, changed_at=row.changed_at.isoformat())
