"""`certobot users create`: the first admin comes from the command line, the rest too if you like."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from certobot.config import BotSettings, ConfigError, load_settings
from certokit.errors import DomainError

users = typer.Typer(help="Usuários do console e da API (admin, supervisor, operator).", no_args_is_help=True)


@users.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Nome de usuário (a-z, 0-9, . _ -).")],
    role: Annotated[str, typer.Option(help="admin, supervisor ou operator.")] = "operator",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Pelo menos 12 caracteres.")
    ] = "",
) -> None:
    """Cria um usuário; a senha é pedida sem eco e guardada só como hash argon2id."""
    from certobot.config import SCHEMA
    from certobot.operators.service import create_user
    from certokit.db import make_engine, make_sessionmaker, transaction

    try:
        settings = load_settings(BotSettings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None

    async def go() -> None:
        engine = make_engine(settings.database_url, schema=SCHEMA)
        try:
            async with transaction(make_sessionmaker(engine)) as db:
                await create_user(db, username=username, password=password, role=role)
        finally:
            await engine.dispose()

    try:
        asyncio.run(go())
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Usuário {username} criado ({role}).")
