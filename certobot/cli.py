"""`certobot`: run the whole product locally, workers, and migrations."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from certobot.config import BotSettings, ConfigError, CrmSettings, load_settings

app = typer.Typer(help="Certobot: negociação de dívidas no WhatsApp.", no_args_is_help=True)

ROOT = Path(__file__).resolve().parent.parent


def migrate_to_head(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def _local_defaults(bot_port: int, crm_port: int) -> dict[str, str]:
    """What `certobot up` fills in when nothing is configured: a complete demo on this machine."""
    defaults = {
        "CRM_BASE_URL": f"http://127.0.0.1:{crm_port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{crm_port}",
        "CRM_API_KEY": "dev-crm-key",
        "CERTOBOT_API_KEY": "dev-operator-key",
        "WHATSAPP_APP_SECRET": "sandbox-app-secret",
        "WHATSAPP_VERIFY_TOKEN": "sandbox-verify-token",
        "WHATSAPP_SANDBOX_URL": f"http://127.0.0.1:{bot_port}/sandbox/v25.0",
        "BOT_PUBLIC_URL": f"http://127.0.0.1:{bot_port}",
    }
    if not os.environ.get("GROQ_API_KEY"):
        defaults["CERTOBOT_MODEL"] = "rules"
    return defaults


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Endereço de escuta.")] = "127.0.0.1",
    bot_port: Annotated[int, typer.Option(help="Porta do bot.")] = 8000,
    crm_port: Annotated[int, typer.Option(help="Porta do CRM.")] = 8001,
) -> None:
    """Sobe o bot e o CRM juntos, com migrações, dados de exemplo e o sandbox do WhatsApp."""
    for name, value in _local_defaults(bot_port, crm_port).items():
        os.environ.setdefault(name, value)
    embedded = "DATABASE_URL" not in os.environ
    try:
        bot_settings = load_settings(BotSettings)
        # With the embedded SQLite, each service gets its own file, as it would its own database:
        # they share no table, and SQLite allows one writer per file.
        crm_settings = load_settings(
            CrmSettings, **({"database_url": "sqlite+aiosqlite:///./certobot-crm.db"} if embedded else {})
        )
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo("Aplicando migrações…")
    for url in dict.fromkeys([bot_settings.database_url, crm_settings.database_url]):
        migrate_to_head(url)

    from certobot.main import create_app as create_bot
    from mock_crm.main import create_app as create_crm

    servers = [
        uvicorn.Server(uvicorn.Config(create_crm(crm_settings), host=host, port=crm_port, log_level="warning")),
        uvicorn.Server(uvicorn.Config(create_bot(bot_settings), host=host, port=bot_port, log_level="warning")),
    ]
    bot_url, crm_url = f"http://{host}:{bot_port}", f"http://{host}:{crm_port}"
    typer.echo(
        "\n".join(
            [
                "",
                f"  Bot:        {bot_url}   (docs {bot_url}/docs)",
                f"  CRM:        {crm_url}   (docs {crm_url}/docs)",
                f"  Simulador:  {bot_url}/simulator"
                + ("" if bot_settings.whatsapp_sandbox else "   (desligado: WhatsApp real configurado)"),
                f"  Motor:      {'offline (regras)' if bot_settings.offline_only else bot_settings.certobot_model}",
                f"  Chave CRM:  {crm_settings.crm_api_key.get_secret_value()}",
                "  Chave operador: "
                + (bot_settings.certobot_api_key.get_secret_value() if bot_settings.certobot_api_key else "—"),
                "",
                "  Ctrl+C para parar.",
                "",
            ]
        )
    )
    asyncio.run(_serve_all(servers))


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    # One event loop for both: the in-process Redis stand-in is shared only within a process.
    await asyncio.gather(*(server.serve() for server in servers))


@app.command()
def worker() -> None:
    """Processa mensagens, entregas e expirações sem servir HTTP (para escalar horizontalmente)."""
    try:
        settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    from certobot.worker import run_worker

    asyncio.run(run_worker(settings))


@app.command()
def migrate() -> None:
    """Aplica as migrações (alembic upgrade head) no DATABASE_URL configurado."""
    try:
        settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    migrate_to_head(settings.database_url)
    typer.echo("Banco de dados atualizado.")


@app.command("gen-key")
def gen_key() -> None:
    """Gera uma chave aleatória para CRM_API_KEY ou CERTOBOT_API_KEY."""
    typer.echo(secrets.token_urlsafe(32))


if __name__ == "__main__":
    app()
