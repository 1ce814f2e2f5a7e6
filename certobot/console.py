"""The operators' console: one static page; every number on it comes from the operator API (Bearer key)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["console"], include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
async def console() -> HTMLResponse:
    # The page holds no data: it asks for CERTOBOT_API_KEY and calls the API with it.
    return HTMLResponse(files("certobot.static").joinpath("console.html").read_text(encoding="utf-8"))
