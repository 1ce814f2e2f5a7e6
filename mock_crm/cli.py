"""`mock-crm`: serve the CRM alone, or seed it."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from certokit.startup import ConfigError, load_settings
from mock_crm.settings import CrmSettings

app = typer.Typer(help="CRM de demonstração do Certobot.", no_args_is_help=True)


def _settings() -> CrmSettings:
    try:
        return load_settings(CrmSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8001,
) -> None:
    """Sobe o CRM (aplica as migrações dele antes)."""
    from mock_crm.main import create_app
    from mock_crm.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    # No uvicorn access log: it prints paths, and paths carry CPFs (/api/debtors/{cpf}). The app's
    # own request log (certokit.requestlog) writes one scrubbed line per request instead.
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False)


@app.command()
def migrate() -> None:
    """Aplica as migrações do CRM (esquema `crm`) no CRM_DATABASE_URL ou DATABASE_URL."""
    from mock_crm.migrate import upgrade

    upgrade(_settings().database_url)
    typer.echo("Banco de dados do CRM atualizado.")


@app.command()
def seed(
    count: Annotated[int | None, typer.Option(help="Quantos devedores (padrão: MOCK_DEBTORS_COUNT).")] = None,
) -> None:
    """Semeia devedores de exemplo num banco vazio."""
    from certokit.db import make_engine, make_sessionmaker
    from mock_crm.debtors.seed import seed_if_empty
    from mock_crm.settings import SCHEMA

    settings = _settings()
    if count is not None:
        settings = settings.model_copy(update={"mock_debtors_count": count})

    async def go() -> int:
        engine = make_engine(settings.database_url, schema=SCHEMA)
        try:
            return await seed_if_empty(make_sessionmaker(engine), settings)
        finally:
            await engine.dispose()

    added = asyncio.run(go())
    typer.echo(f"{added} devedores criados." if added else "O banco já tinha devedores: nada foi criado.")


if __name__ == "__main__":
    app()
