"""The bot: WhatsApp webhooks, the conversation engine, and the operators' API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import cache

import httpx
from fastapi import APIRouter, FastAPI, Response
from sqlalchemy import text

from certobot.clock import Clock, SystemClock
from certobot.config import BotSettings, load_settings
from certobot.db import make_engine, make_sessionmaker
from certobot.errors import install_error_handlers
from certobot.lifecycle.router import router as lifecycle_router
from certobot.logging import configure_logging, get_logger
from certobot.metrics import render
from certobot.redis import make_redis
from certobot.requestlog import RequestLog
from certobot.resources import Resources
from certobot.startup import SettingsGate
from certobot.whatsapp.graph import GraphClient
from certobot.whatsapp.pipeline import TurnHandler
from certobot.whatsapp.router import router as webhook_router
from certobot.whatsapp.sandbox import router as sandbox_router
from certobot.worker import start_background

log = get_logger("certobot")


@cache
def _env_settings() -> BotSettings:
    return load_settings(BotSettings)


def build_resources(
    settings: BotSettings,
    app: FastAPI | None = None,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
) -> Resources:
    """`http` may be injected (tests route the CRM and the Graph API to in-process stand-ins)."""
    engine = make_engine(settings.database_url)
    http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0), limits=httpx.Limits(max_connections=200))
    extra: list[httpx.AsyncClient] = []
    if settings.whatsapp_sandbox and app is not None:
        # In-process: the sandbox answers on this very app, whatever port it listens on.
        graph_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")
        extra.append(graph_http)
        graph = GraphClient(
            graph_http, base_url="http://sandbox/sandbox/v25.0", access_token="sandbox", phone_number_id="sandbox"
        )
    else:
        graph = GraphClient(
            http,
            base_url=settings.whatsapp_api_base_url if not settings.whatsapp_sandbox else settings.whatsapp_sandbox_url,
            access_token=settings.whatsapp_access_token.get_secret_value()
            if settings.whatsapp_access_token
            else "sandbox",
            phone_number_id=settings.whatsapp_phone_number_id or "sandbox",
        )
    return Resources(
        settings=settings,
        engine=engine,
        sessionmaker=make_sessionmaker(engine),
        redis=make_redis(settings),
        http=http,
        graph=graph,
        extra=extra,
        clock=clock or SystemClock(),
    )


def create_app(
    settings: BotSettings | None = None,
    *,
    turn_handler: TurnHandler | None = None,
    http: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or _env_settings()
        configure_logging(s.log_level, json=s.log_json, file=s.log_file)
        resources = build_resources(s, app, http=http, clock=clock)
        app.state.resources = resources
        handler = turn_handler
        if handler is None:
            from certobot.negotiation.flow import build_turn_handler

            handler = build_turn_handler(resources)
        app.state.turn_handler = handler
        stop = asyncio.Event()
        tasks = start_background(resources, handler, stop) if s.run_background_workers else []
        log.info("bot_started", sandbox=s.whatsapp_sandbox, model="rules" if s.offline_only else s.certobot_model)
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError, Exception):
                    await task
            await resources.aclose()

    app = FastAPI(
        title="Certobot",
        version="0.1.0",
        description="Assistente de negociação de dívidas no WhatsApp. Rotas `/api/*` exigem "
        "`Authorization: Bearer $CERTOBOT_API_KEY`.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(RequestLog)
    app.include_router(webhook_router)
    app.include_router(lifecycle_router)
    app.include_router(sandbox_router)
    for router in _operator_routers():
        app.include_router(router)

    @app.get("/health", tags=["saúde"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["saúde"])
    async def ready(response: Response) -> dict[str, str]:
        res: Resources = app.state.resources
        checks: dict[str, str] = {}
        try:
            async with res.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["postgres"] = "ok"
        except Exception:
            checks["postgres"] = "falhou"
        try:
            await res.redis.ping()
            checks["redis"] = "ok"
        except Exception:
            checks["redis"] = "falhou"
        try:
            r = await res.http.get(f"{res.settings.crm_base_url}/health", timeout=2.0)
            checks["crm"] = "ok" if r.status_code == 200 else "falhou"
        except httpx.HTTPError:
            checks["crm"] = "falhou"
        if any(v != "ok" for v in checks.values()):
            response.status_code = 503
        return checks

    @app.get("/metrics", tags=["saúde"], response_class=Response)
    async def metrics() -> Response:
        body, content_type = render()
        return Response(body, media_type=content_type)

    return app


def _operator_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    with suppress(ImportError):
        from certobot.conversations.router import router as conversations

        routers.append(conversations)
    from certobot.campaigns.router import router as campaigns
    from certobot.console import router as console
    from certobot.simulator import router as simulator

    routers.append(campaigns)
    routers.append(console)

    routers.append(simulator)
    from certobot.lifecycle.simulator import router as simulator_pay

    routers.append(simulator_pay)
    return routers


app = SettingsGate(create_app(), _env_settings)
