"""`certobot`: run the whole product locally, workers, and migrations."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from certobot.config import BotSettings, ConfigError, load_settings


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where there is one, as uvicorn does: asyncpg and Redis traffic cost less CPU."""
    try:
        import uvloop
    except ImportError:  # Windows
        asyncio.run(main)
    else:
        uvloop.run(main)


app = typer.Typer(help="Certobot: negociação de dívidas no WhatsApp.", no_args_is_help=True)


def _add_users() -> None:
    from certobot.operators.cli import users

    app.add_typer(users, name="users")
    from certobot.review.cli import review

    app.add_typer(review, name="review")


_add_users()


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
        "CERTOBOT_BASE_URL": f"http://127.0.0.1:{bot_port}",  # the CRM's payment webhooks
        "LIFECYCLE_INTERVAL_SECONDS": "60",  # reminders looked for every minute in the demo
        "LOG_JSON": "false",  # a person reads this terminal
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
    try:
        bot_settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    # Each service migrates and runs in a process of its own, started by module path: the bot
    # imports nothing of the CRM. With no DATABASE_URL each keeps its own SQLite file
    # (certokit.db, certobot-crm.db); with Postgres, its own schema.
    typer.echo("Aplicando migrações…")
    for module in ("mock_crm.migrate", "certobot.migrate"):
        if subprocess.run([sys.executable, "-m", module], env=os.environ.copy(), check=False).returncode != 0:
            raise typer.Exit(1)
    servers = [("mock_crm.main:app", crm_port), ("certobot.main:app", bot_port)]
    procs = [
        subprocess.Popen(
            # uvloop and httptools are picked up where installed; RequestLog writes each request's line.
            [
                *(sys.executable, "-m", "uvicorn", target, "--host", host, "--port", str(port)),
                *("--log-level", "warning", "--no-access-log"),
            ],
            env=os.environ.copy(),
        )
        for target, port in servers
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
                f"  Chave CRM:  {bot_settings.crm_api_key.get_secret_value()}",
                "  Chave operador: "
                + (bot_settings.certobot_api_key.get_secret_value() if bot_settings.certobot_api_key else "—"),
                "",
                "  Ctrl+C para parar.",
                "",
            ]
        )
    )
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    # Ctrl+C, or a supervisor's SIGTERM: stop both services, not just this launcher.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    # When one service stops (a port taken, a crash), stop the other too: half a demo misleads.
    while not stop.is_set() and all(p.poll() is None for p in procs):
        stop.wait(0.5)
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
    if not stop.is_set():
        typer.echo("Um dos serviços parou; o outro foi encerrado também.", err=True)
        raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Processa mensagens, entregas e expirações sem servir HTTP (para escalar horizontalmente)."""
    try:
        settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    from certobot.worker import run_worker

    run_loop(run_worker(settings))


@app.command()
def migrate() -> None:
    """Aplica as migrações do bot (esquema `bot`) no BOT_DATABASE_URL ou DATABASE_URL."""
    try:
        settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    from certobot.migrate import upgrade
    from certobot.sealed import configure as configure_sealing

    configure_sealing(settings)  # existing rows are sealed with these keys
    upgrade(settings.database_url)
    typer.echo("Banco de dados do bot atualizado (esquema `bot`). O CRM migra com `mock-crm migrate`.")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Recifra CPFs, telefones e payloads com a primeira chave de DATA_KEYS (as antigas ainda precisam estar lá)."""
    try:
        settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    from certobot.sealed import rotate_database

    done = asyncio.run(rotate_database(settings))
    typer.echo(f"Recifrado com a chave {done.kid}: {done.rows} linhas em {done.tables} tabelas.")


campaign_app = typer.Typer(help="Campanhas de contato.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")


def read_cpfs(path: Path) -> list[str]:
    """Valid CPFs of a file, as the upload page reads it: CSV with comma or semicolon (UTF-8 or
    Latin-1, as Excel saves in Brazil), XLSX or JSON; repeated CPFs once."""
    from certobot.campaigns.uploads import UploadInvalid, read_upload
    from certokit.cpf import normalize_cpf

    try:
        _, lines = read_upload(path.name, path.read_bytes())
    except UploadInvalid as exc:
        typer.echo(exc.detail, err=True)
        return []
    cpfs = [normalize_cpf(line.value) for line in lines]
    return list(dict.fromkeys(c for c in cpfs if c is not None))


@campaign_app.command("start")
def campaign_start(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="CSV (vírgula ou ponto e vírgula), XLSX ou JSON com uma coluna cpf."
        ),
    ],
    url: Annotated[str, typer.Option(help="Endereço do bot.")] = "http://127.0.0.1:8000",
    per_minute: Annotated[int, typer.Option(min=1, max=600, help="Conversas abertas por minuto.")] = 30,
    name: Annotated[str, typer.Option(help="Nome da campanha.")] = "",
    wait: Annotated[bool, typer.Option(help="Acompanhar o progresso até o fim.")] = True,
) -> None:
    """Cria uma campanha a partir de um CSV e mostra o progresso."""
    import time

    import httpx
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    key = os.environ.get("CERTOBOT_API_KEY", "dev-operator-key")
    cpfs = read_cpfs(file)
    if not cpfs:
        typer.echo("Nenhum CPF válido no arquivo.", err=True)
        raise typer.Exit(2)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        r = http.post("/api/campaigns", json={"name": name or file.stem, "cpfs": cpfs, "per_minute": per_minute})
        if r.status_code != 202:
            typer.echo(f"Campanha recusada ({r.status_code}): {r.json().get('detail')}", err=True)
            raise typer.Exit(1)
        campaign = r.json()
        typer.echo(f"Campanha {campaign['id']}: {campaign['total']} devedores, {per_minute}/min.")
        if not wait:
            return
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns) as bar:
            task = bar.add_task("Abrindo conversas", total=campaign["total"])
            while True:
                view = http.get(f"/api/campaigns/{campaign['id']}").json()
                p = view["progress"]
                bar.update(
                    task,
                    completed=p["sent"] + p["refused"] + p["failed"],
                    description=view.get("paused_reason") or "Abrindo conversas",
                )
                if view["status"] == "done":
                    break
                time.sleep(1)
        typer.echo(f"Enviadas {p['sent']}, recusadas {p['refused']}, falhas {p['failed']}, respondidas {p['replied']}.")


@app.command("gen-key")
def gen_key() -> None:
    """Gera uma chave aleatória para CRM_API_KEY ou CERTOBOT_API_KEY."""
    typer.echo(secrets.token_urlsafe(32))


if __name__ == "__main__":
    app()
