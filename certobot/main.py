"""The bot: WhatsApp webhooks, the conversation engine, and the operators' API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import cache

import httpx
from fastapi import APIRouter, FastAPI, Response
from redis.asyncio import Redis
from sqlalchemy import text

from certobot.config import SCHEMA, BotSettings, load_settings
from certobot.lifecycle.router import router as lifecycle_router
from certobot.metrics import render
from certobot.negotiation.turnstore import plan_turn
from certobot.policies.book import try_reload
from certobot.redis import make_redis, warm_redis
from certobot.resources import Resources
from certobot.sealed import configure as configure_sealing
from certobot.security.surface import mount_surface
from certobot.whatsapp.channel import router as channel_router
from certobot.whatsapp.pipeline import TurnHandler
from certobot.whatsapp.provider import MetaProvider, Provider
from certobot.whatsapp.router import router as webhook_router
from certobot.whatsapp.sandbox import router as sandbox_router
from certobot.whatsapp.waha.provider import build_waha
from certobot.whatsapp.waha.router import router as waha_router
from certobot.worker import start_background, start_template_refresh
from certokit.clock import Clock, SystemClock
from certokit.db import make_engine, make_sessionmaker
from certokit.errors import install_error_handlers
from certokit.headers import SecurityHeaders
from certokit.http import AiohttpTransport
from certokit.limits import BodyLimit
from certokit.logging import configure_logging, get_logger, scrub_access_log
from certokit.rawsql import warm_pool
from certokit.requestlog import RequestLog
from certokit.startup import SettingsGate
from certokit.whatsapp.graph import GraphClient

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
    configure_sealing(settings)  # before any row is read or written
    # Two pools on Postgres. `engine` runs the hot path's own statements (the webhook's inserts, a
    # turn's read and write, recording sends), each checked to plan as well once as for every call:
    # its connections keep one generic plan per statement (certokit.db.make_engine). The sessions
    # (ORM: sweeper, sender, console, campaigns) keep Postgres's choice per call on a pool of their
    # own, small: fewer statements than the hot path, one or two at a time (10 connections at most,
    # 40 in all with the hot path's 25 + 5, as DATABASE_MAX_CONNECTIONS is by default).
    pools = settings.database_pools  # DATABASE_MAX_CONNECTIONS shared out (certokit.db.pool_split)
    engine = make_engine(
        settings.database_url,
        schema=SCHEMA,
        generic_plans=True,
        pool_size=pools.hot.size,
        max_overflow=pools.hot.overflow,
    )
    orm = engine
    if not settings.database_url.startswith("sqlite"):
        orm = make_engine(
            settings.database_url, schema=SCHEMA, pool_size=pools.orm.size, max_overflow=pools.orm.overflow
        )
    http = http or httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, connect=3.0), transport=AiohttpTransport(max_connections=200)
    )
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
    redis = make_redis(settings)
    clock = clock or SystemClock()
    return Resources(
        settings=settings,
        engine=engine,
        sessionmaker=make_sessionmaker(orm),
        redis=redis,
        http=http,
        graph=graph,
        provider=build_provider(settings, graph, http, redis, clock),
        extra=extra,
        clock=clock,
    )


async def warm_hot_pool(resources: Resources) -> None:
    """The hot pool opened before the first webhook, each connection with the turn's read and write planned,
    and Redis's connections (DATABASE_WARM_UP): a burst right after a start or deploy no longer pays
    for them."""
    if resources.settings.database_warm_up:
        s = resources.settings
        warmed, redis = await asyncio.gather(
            warm_pool(resources.engine, s.database_pools.hot.size, plan_turn),
            warm_redis(resources.redis, s.redis_max_connections),
        )
        log.info("hot_pool_warmed", connections=warmed, redis_connections=redis)


def build_provider(
    settings: BotSettings, graph: GraphClient, http: httpx.AsyncClient, redis: Redis, clock: Clock
) -> Provider:
    """WHATSAPP_PROVIDER: Meta's Cloud API (or its sandbox) through `graph`, or a WAHA server."""
    if settings.whatsapp_provider == "waha":
        return build_waha(settings, http, redis, clock)
    return MetaProvider(graph, settings.webhook_secret)


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
        app.state.max_body_bytes = s.max_body_bytes
        mount_surface(app, production=s.environment == "production", docs=s.docs_enabled, demo_routers=_demo_routers())
        handler = turn_handler
        if handler is None:
            from certobot.negotiation.flow import build_turn_handler

            handler = build_turn_handler(resources)
        app.state.turn_handler = handler
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        await warm_hot_pool(resources)
        if s.runs_background:
            await try_reload(resources.policies, resources.sessionmaker)
            tasks = start_background(resources, handler, stop)
        tasks.append(await start_template_refresh(resources, stop))
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

    # Swagger UI and ReDoc from files this service serves itself: /docs works without internet.
    app = FastAPI(
        title="Certobot",
        version="0.1.0",
        description="Assistente de negociação de dívidas no WhatsApp. Rotas `/api/*` exigem "
        "`Authorization: Bearer $CERTOBOT_API_KEY`.",
        lifespan=lifespan,
        # Mounted by the lifespan once the settings say whether they may be (certobot.security.surface).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    scrub_access_log()
    app.add_middleware(BodyLimit)  # inside the request log, so refusals are logged too
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLog)
    app.include_router(webhook_router)
    app.include_router(waha_router)
    app.include_router(channel_router)
    app.include_router(lifecycle_router)
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
        if res.provider.name == "waha":
            # Shown, not gating: with the session down (QR code to scan) the bot still accepts and
            # queues; the outbox sends once the number is back. Taking the bot out would lose webhooks.
            checks["whatsapp_waha"] = (await res.provider.session_status()) or "desconhecido"
        return checks

    @app.get("/metrics", tags=["saúde"], response_class=Response)
    async def metrics() -> Response:
        body, content_type = render()
        return Response(body, media_type=content_type)

    return app


def _operator_routers() -> list[APIRouter]:
    from certobot.dashboard.router import export_router

    routers: list[APIRouter] = [export_router]  # before the conversations' /{session_id}
    with suppress(ImportError):
        from certobot.conversations.router import router as conversations

        routers.append(conversations)
    from certobot.campaigns.router import router as campaigns
    from certobot.console import router as console
    from certobot.dashboard.router import router as dashboard
    from certobot.inbox.router import router as inbox
    from certobot.live.router import router as live
    from certobot.operators.router import router as operators
    from certobot.policies.router import router as policies
    from certobot.privacy.router import router as privacy
    from certobot.review.router import router as review
    from certobot.templates.router import router as templates

    routers.append(operators)
    routers.append(privacy)
    routers.append(campaigns)
    routers.append(inbox)
    routers.append(dashboard)
    routers.append(policies)
    routers.append(review)
    routers.append(live)
    routers.append(templates)
    routers.append(console)
    return routers


def _demo_routers() -> list[APIRouter]:
    """Only outside production: the fake Graph API and the simulator that chats as any debtor."""
    from certobot.lifecycle.simulator import router as simulator_pay
    from certobot.simulator import router as simulator

    return [sandbox_router, simulator, simulator_pay]


app = SettingsGate(create_app(), _env_settings)
