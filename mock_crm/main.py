"""The mock CRM: debtors, negotiation results, boletos and their delivery on WhatsApp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import httpx
from fastapi import FastAPI

from certokit.db import make_engine, make_sessionmaker, pool_of
from certokit.docs import mount_offline_docs
from certokit.errors import install_error_handlers
from certokit.headers import SecurityHeaders
from certokit.http import AiohttpTransport
from certokit.limits import BodyLimit
from certokit.logging import configure_logging, get_logger, scrub_access_log
from certokit.rawsql import warm_pool
from certokit.requestlog import RequestLog
from certokit.startup import SettingsGate, load_settings
from certokit.whatsapp.channel import ChannelSender
from certokit.whatsapp.graph import GraphClient
from certokit.whatsapp.meta import MetaSender
from certokit.whatsapp.waha.client import WahaClient
from certokit.whatsapp.waha.sender import WahaSender
from mock_crm.agreements.router import promises_router
from mock_crm.agreements.router import router as agreements_router
from mock_crm.background import run_background
from mock_crm.boletos.router import router as boletos_router
from mock_crm.debtors.repository import warm_lookup
from mock_crm.debtors.router import router as debtors_router
from mock_crm.debtors.seed import seed_if_empty
from mock_crm.idempotency import IdempotencyMiddleware
from mock_crm.negotiations.router import router as negotiations_router
from mock_crm.payments.router import router as payments_router
from mock_crm.privacy.router import router as privacy_router
from mock_crm.sealed import configure as configure_sealing
from mock_crm.settings import SCHEMA, CrmSettings
from mock_crm.throttle import ThrottleBoard, run_throttle_board

log = get_logger("mock_crm")


@cache
def _env_settings() -> CrmSettings:
    return load_settings(CrmSettings)


def graph_client(s: CrmSettings, http: httpx.AsyncClient) -> GraphClient:
    """The Cloud API when a token is set; otherwise the bot's sandbox (WHATSAPP_SANDBOX_URL)."""
    if s.whatsapp_sandbox:
        return GraphClient(
            http,
            base_url=s.whatsapp_sandbox_url,
            access_token="sandbox",
            phone_number_id="sandbox",
            attempts=3,
            timeout=15,
        )
    assert s.whatsapp_access_token is not None
    assert s.whatsapp_phone_number_id is not None
    return GraphClient(
        http,
        base_url=s.whatsapp_api_base_url,
        access_token=s.whatsapp_access_token.get_secret_value(),
        phone_number_id=s.whatsapp_phone_number_id,
        attempts=3,
        timeout=15,
    )


def build_waha(s: CrmSettings, http: httpx.AsyncClient) -> WahaSender:
    """The CRM's WAHA sends boletos only: no openings to pace, no "digitando…" delay."""
    client = WahaClient(
        http,
        base_url=s.waha_base_url,
        api_key=s.waha_api_key.get_secret_value() if s.waha_api_key else None,
        session=s.waha_session,
    )
    return WahaSender(client)


def whatsapp_provider(s: CrmSettings, http: httpx.AsyncClient) -> ChannelSender:
    """WHATSAPP_PROVIDER: a WAHA server, or the Cloud API (its sandbox without a token)."""
    if s.whatsapp_provider == "waha":
        return build_waha(s, http)
    return MetaSender(graph_client(s, http))


def create_app(
    settings: CrmSettings | None = None,
    *,
    graph_http: httpx.AsyncClient | None = None,
    bot_http: httpx.AsyncClient | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or _env_settings()
        configure_sealing(s)  # before any row is read or written
        configure_logging(s.log_level, json=s.log_json, file=s.log_file)
        pool = pool_of(s.database_max_connections)
        engine = make_engine(s.database_url, schema=SCHEMA, pool_size=pool.size, max_overflow=pool.overflow)
        app.state.settings = s
        app.state.max_body_bytes = s.max_body_bytes
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        await seed_if_empty(app.state.sessionmaker, s)
        if s.database_warm_up:
            # The pool opened before the bot's first burst of lookups, not during it.
            await warm_pool(engine, pool.size, warm_lookup)
        http = graph_http or httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=3.0), transport=AiohttpTransport())
        app.state.whatsapp = whatsapp_provider(s, http)
        # The bot is on loopback or next door: short timeouts, the outbox retries.
        to_bot = bot_http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0), transport=AiohttpTransport())
        board = app.state.throttle_board = ThrottleBoard(
            s.database_url, app.state.sessionmaker, max_failures=s.auth_max_failures
        )
        async with run_throttle_board(board), run_background(app.state.sessionmaker, s, app.state.whatsapp, to_bot):
            log.info("crm_started", sandbox=s.whatsapp_sandbox)
            yield
        if bot_http is None:
            await to_bot.aclose()
        if graph_http is None:
            await http.aclose()
        await engine.dispose()

    # Swagger UI and ReDoc from files this service serves itself: /docs works without internet.
    app = FastAPI(
        title="Mock CRM — Certobot",
        version="0.1.0",
        description=(
            "CRM de demonstração: devedores, resultados de negociação, boletos FEBRABAN com PIX e "
            "entrega no WhatsApp. Toda rota `/api/*` exige `Authorization: Bearer $CRM_API_KEY`."
        ),
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN; certokit.docs serves the same from local files
        redoc_url=None,
    )
    mount_offline_docs(app)
    install_error_handlers(app)
    scrub_access_log()
    app.add_middleware(BodyLimit)  # inside the request log, so refusals are logged too
    app.add_middleware(SecurityHeaders)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestLog)
    app.include_router(debtors_router)
    app.include_router(negotiations_router)
    app.include_router(boletos_router)
    app.include_router(privacy_router)
    app.include_router(agreements_router)
    app.include_router(promises_router)
    app.include_router(payments_router)

    @app.get("/health", tags=["saúde"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = SettingsGate(create_app(), _env_settings)
