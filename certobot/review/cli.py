"""`certobot review export --out FILE`: the team's labels as training data for the next release."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from certobot.config import BotSettings, ConfigError, load_settings

review = typer.Typer(help="A fila de mensagens que a assistente não entendeu.", no_args_is_help=True)


@review.command("export")
def export(
    out: Annotated[
        Path,
        typer.Option(
            help="Arquivo JSON lines a gravar, ex. certobot/negotiation/data/labelled/2026-12-01.jsonl "
            "(o classificador treina com todos os desse diretório)."
        ),
    ],
) -> None:
    """Grava as mensagens rotuladas pela supervisão no formato do corpus do classificador."""
    from certobot.config import SCHEMA
    from certobot.review.service import export as labelled
    from certobot.review.service import jsonl
    from certokit.db import make_engine, make_sessionmaker

    try:
        settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None

    async def go() -> str:
        engine = make_engine(settings.database_url, schema=SCHEMA)
        try:
            async with make_sessionmaker(engine)() as db:
                return jsonl(await labelled(db))
        finally:
            await engine.dispose()

    body = asyncio.run(go())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    typer.echo(f"{body.count(chr(10))} mensagens rotuladas gravadas em {out}.")
