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
    from mock_crm.sealed import configure as configure_sealing

    settings = _settings()
    configure_sealing(settings)
    upgrade(settings.database_url)
    # No uvicorn access log: it prints paths, and paths carry CPFs (/api/debtors/{cpf}). The app's
    # own request log (certokit.requestlog) writes one scrubbed line per request instead.
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False)


@app.command()
def migrate() -> None:
    """Aplica as migrações do CRM (esquema `crm`) no CRM_DATABASE_URL ou DATABASE_URL."""
    from mock_crm.migrate import upgrade
    from mock_crm.sealed import configure as configure_sealing

    settings = _settings()
    configure_sealing(settings)  # existing rows are sealed with these keys
    upgrade(settings.database_url)
    typer.echo("Banco de dados do CRM atualizado.")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Recifra CPFs, telefones, PDFs e respostas guardadas com a primeira chave de DATA_KEYS."""
    from mock_crm.sealed import rotate_database

    done = asyncio.run(rotate_database(_settings()))
    typer.echo(f"Recifrado com a chave {done.kid}: {done.rows} linhas em {done.tables} tabelas.")


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


def payment_reference(ref: str) -> dict[str, str]:
    """A boleto id, a nosso número (8 digits) or a PIX txid (`CB…`), as the bank would name it."""
    if ref.isdigit() and len(ref) == 8:
        return {"nosso_numero": ref}
    if ref.startswith("CB") and ref.isalnum():
        return {"txid": ref}
    return {"boleto_id": ref}


@app.command()
def pay(
    ref: Annotated[str, typer.Argument(help="boleto_id, nosso número (8 dígitos) ou txid do PIX (CB…).")],
    amount: Annotated[str | None, typer.Option(help="Valor, ex. 300.00 (padrão: o valor do boleto).")] = None,
    channel: Annotated[str, typer.Option(help="boleto ou pix.")] = "boleto",
    payment_id: Annotated[str | None, typer.Option(help="Id do banco (repita para testar a idempotência).")] = None,
    url: Annotated[str, typer.Option(help="Onde o CRM atende.")] = "http://127.0.0.1:8001",
) -> None:
    """Simula o aviso de pagamento de um banco: POST /api/payments no CRM em execução."""
    import uuid
    from datetime import UTC, datetime

    import httpx

    settings = _settings()
    headers = {"Authorization": f"Bearer {settings.crm_api_key.get_secret_value()}"}
    body: dict[str, str] = {
        "payment_id": payment_id or f"SANDBOX-{uuid.uuid4().hex[:12].upper()}",
        **payment_reference(ref),
        "paid_at": datetime.now(UTC).isoformat(),
        "channel": channel,
    }
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=10) as http:
        if amount is None:
            if "boleto_id" not in body:
                typer.echo("Informe --amount (só sei o valor sozinho a partir do boleto_id).", err=True)
                raise typer.Exit(2)
            got = http.get(f"/api/boletos/{ref}")
            if got.status_code != 200:
                typer.echo(got.json().get("detail", got.text), err=True)
                raise typer.Exit(1)
            amount = str(got.json()["amount"])
        body["amount"] = amount
        r = http.post("/api/payments", json=body)
    if r.status_code >= 400:
        typer.echo(f"{r.status_code}: {r.json().get('detail', r.text)}", err=True)
        raise typer.Exit(1)
    p = r.json()
    typer.echo(
        f"{'Registrado' if r.status_code == 201 else 'Já registrado'}: {p['payment_id']} — R$ {p['amount']} "
        f"na parcela {p['installment']} de {p['installments']} ({p['outcome']}); "
        f"parcela {p['installment_status']}, acordo {p['agreement_status']}."
        + (f" Atenção: {p['anomaly']}" if p.get("anomaly") else "")
    )


if __name__ == "__main__":
    app()
