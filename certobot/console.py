"""The operators' console: one static page; every number on it comes from the operator API (Bearer key)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from certokit.errors import NotFound

router = APIRouter(tags=["console"], include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
async def console() -> HTMLResponse:
    # The page holds no data: it asks for CERTOBOT_API_KEY and calls the API with it.
    return HTMLResponse(files("certobot.static").joinpath("console.html").read_text(encoding="utf-8"))


# Script and style live in files so the Content-Security-Policy can forbid anything inline.
STATIC = {
    "console.js": "text/javascript",
    "console.css": "text/css",
    "campaigns.js": "text/javascript",
    "campaigns.css": "text/css",
    "dashfilters.js": "text/javascript",
    "policies.js": "text/javascript",
    "policies.css": "text/css",
    "live.js": "text/javascript",
    "review.js": "text/javascript",
    "review.css": "text/css",
    "privacy.js": "text/javascript",
    "simulator.js": "text/javascript",
    "simulator.css": "text/css",
    "templates.js": "text/javascript",
    "templates.css": "text/css",
}


@router.get("/static/{name}")
async def static(name: str) -> Response:
    media_type = STATIC.get(name)
    if media_type is None:
        raise NotFound("Arquivo não encontrado.")
    body = files("certobot.static").joinpath(name).read_text(encoding="utf-8")
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})
