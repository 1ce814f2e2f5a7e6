"""What the bot exposes depends on where it runs: the demo surface exists only outside production.

The simulator lists debtors with the digits that answer the challenge and can speak as any of them;
the sandbox serves whatever was uploaded on the console's origin. Neither is mounted in production,
and the API docs only when API_DOCS allows them. The app is built before its settings are read (the
ASGI entry point loads them lazily), so this runs in the lifespan, once per app.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from certokit.docs import mount_offline_docs


def mount_surface(app: FastAPI, *, production: bool, docs: bool, demo_routers: list[APIRouter]) -> None:
    if getattr(app.state, "surface_mounted", False):
        return
    app.state.surface_mounted = True
    if not production:
        for router in demo_routers:
            app.include_router(router)
    if docs:
        app.openapi_url = "/openapi.json"
        app.setup()  # only the OpenAPI route: docs_url and redoc_url stay None (FastAPI's pages use a CDN)
        mount_offline_docs(app)
