"""The platform: settings, migrations, seed data."""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase
from starlette.types import Message, Receive, Scope, Send

from certobot import migrate as bot_migrate
from certobot.base import BotBase
from certobot.config import BotSettings, ConfigError, load_settings, parse_contact_hours
from certokit import heap
from certokit.cpf import normalize_cpf
from certokit.db import make_engine
from certokit.phones import VALID_DDDS, to_e164
from certokit.startup import SettingsGate
from mock_crm import migrate as crm_migrate
from mock_crm.base import CrmBase
from mock_crm.debtors.seed import build_debtors
from mock_crm.debtors.service import address_of
from mock_crm.settings import CrmSettings
from tests.conftest import PG_ADMIN, _admin, alembic_config


class TestSettings:
    def test_defaults_run_with_nothing_set(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("DATABASE_URL", "REDIS_URL", "CERTOBOT_MODEL", "CONTACT_HOURS"):
            monkeypatch.delenv(name, raising=False)
        s = load_settings(BotSettings, _env_file=None)
        assert s.database_url.startswith("sqlite+aiosqlite://")
        assert s.redis_url is None
        assert s.certobot_model == "groq:openai/gpt-oss-120b"
        assert s.max_validation_attempts == 3
        assert s.conversation_timeout_seconds == 180
        assert s.whatsapp_api_base_url == "https://graph.facebook.com/v25.0"
        assert s.whatsapp_sandbox

    @pytest.mark.parametrize(
        ("name", "value", "named"),
        [
            ("MAX_VALIDATION_ATTEMPTS", "três", "MAX_VALIDATION_ATTEMPTS"),
            ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
            ("CONTACT_HOURS", "segunda 8-20", "CONTACT_HOURS"),
            ("CREDITOR_CNPJ", "11.111.111/1111-11", "CREDITOR_CNPJ"),
            ("CONVERSATION_TIMEOUT_SECONDS", "-1", "CONVERSATION_TIMEOUT_SECONDS"),
        ],
    )
    def test_malformed_setting_is_one_line_naming_it(
        self, monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
    ) -> None:
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigError) as err:
            load_settings(BotSettings, _env_file=None)
        assert str(err.value).startswith(f"Configuração inválida: {named}:")
        assert "\n" not in str(err.value)

    def test_placeholder_key_refused_in_production(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.delenv("CRM_API_KEY", raising=False)
        with pytest.raises(ConfigError, match="CRM_API_KEY"):
            load_settings(CrmSettings, _env_file=None)

    def test_sync_postgres_url_is_made_async(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
        assert load_settings(BotSettings, _env_file=None).database_url == "postgresql+asyncpg://u@h/db"

    def test_contact_hours(self) -> None:
        hours = parse_contact_hours("mon-fri 08:00-20:00; sat 08:00-14:00")
        assert sorted(hours) == [0, 1, 2, 3, 4, 5]
        assert str(hours[5][1]) == "14:00:00"
        always = parse_contact_hours("mon-sun 00:00-24:00")
        assert len(always) == 7
        assert always[6][1] is None

    def test_service_refuses_to_start_with_one_line(self, tmp_path: os.PathLike[str]) -> None:
        env = {**os.environ, "CREDITOR_CNPJ": "12.345.678/0001-00", "DATABASE_URL": "sqlite+aiosqlite:///x.db"}
        proc = subprocess.run(
            [sys.executable, "-m", "uvicorn", "mock_crm.main:app", "--port", "0"],
            capture_output=True,
            text=True,
            env={**env, "PYTHONPATH": os.getcwd()},
            cwd=tmp_path,
            timeout=60,
        )
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        ours = [line for line in proc.stderr.splitlines() if "Configuração inválida" in line]
        assert ours == ["Configuração inválida: CREDITOR_CNPJ: CNPJ inválido (dígitos verificadores não conferem)"]

    async def test_served_app_freezes_its_startup_heap_before_the_first_request(self) -> None:
        """The heap startup built is moved out of the collector's walks once the app has started
        (certokit.heap): an app that only loaded its settings has not started and freezes nothing."""
        started: list[str] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await receive()
            started.append(f"frozen={gc.get_freeze_count()}")
            await send({"type": "lifespan.startup.complete"})

        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)
            started.append(f"frozen={gc.get_freeze_count() > 0}")

        async def receive() -> Message:
            return {"type": "lifespan.startup"}

        before = gc.get_threshold()
        gc.unfreeze()
        try:
            await SettingsGate(app, lambda: None)({"type": "lifespan"}, receive, send)
            assert started == ["frozen=0", "frozen=True"]  # after the app's startup, before uvicorn hears of it
            assert gc.get_threshold() == heap.THRESHOLDS
        finally:
            gc.unfreeze()
            gc.set_threshold(*before)


SERVICES = [
    pytest.param(BotBase, "bot", bot_migrate, id="bot"),
    pytest.param(CrmBase, "crm", crm_migrate, id="crm"),
]


class TestMigrations:
    @pytest.mark.parametrize(("base", "schema", "migrate"), SERVICES)
    async def test_models_and_migrations_do_not_drift(
        self, database_url: str, base: type[DeclarativeBase], schema: str, migrate: ModuleType
    ) -> None:
        """Each service's models against its own tree, in its own schema of the database."""

        def diff(conn: object) -> list[object]:
            ctx = MigrationContext.configure(conn, opts={"version_table": migrate.VERSION_TABLE})  # type: ignore[arg-type]
            return list(compare_metadata(ctx, base.metadata))

        engine = make_engine(database_url, schema=schema)
        try:
            async with engine.connect() as conn:
                changes = await conn.run_sync(diff)
        finally:
            await engine.dispose()
        assert changes == []

    def test_root_upgrade_puts_each_service_in_its_schema_and_each_downgrades_alone(self) -> None:
        name = f"certobot_mig_{os.getpid()}"
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        try:
            command.upgrade(alembic_config(url), "head")  # the repository root's `alembic upgrade head`
            assert _tables(url, "crm") >= {"crm_debtors", "crm_boletos", "alembic_version_crm"}
            assert _tables(url, "bot") >= {"conversations", "messages", "outbox", "alembic_version_bot"}
            assert _tables(url, "public") == set()
            crm_migrate.downgrade(url, "base")
            assert _tables(url, "crm") == {"alembic_version_crm"}
            assert "conversations" in _tables(url, "bot")  # the bot's tables are not the CRM's business
            bot_migrate.downgrade(url, "base")
            assert _tables(url, "bot") == {"alembic_version_bot"}
        finally:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def test_each_service_migrates_its_own_sqlite_file(self, tmp_path: Path) -> None:
        bot_url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
        crm_url = f"sqlite+aiosqlite:///{tmp_path}/crm.db"
        bot_migrate.upgrade(bot_url)
        crm_migrate.upgrade(crm_url)
        assert "conversations" in _sqlite_tables(tmp_path / "bot.db")
        assert not any(t.startswith("crm_") for t in _sqlite_tables(tmp_path / "bot.db"))
        assert "crm_debtors" in _sqlite_tables(tmp_path / "crm.db")
        assert "conversations" not in _sqlite_tables(tmp_path / "crm.db")


def _sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _tables(url: str, schema: str) -> set[str]:
    async def go() -> set[str]:
        engine = make_engine(url)
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema})
            names = {r[0] for r in rows}
        await engine.dispose()
        return names

    return asyncio.run(go())


class TestSeed:
    def test_realistic_and_reproducible(self) -> None:
        today = date(2026, 11, 22)
        debtors = build_debtors(120, 42, today)
        again = build_debtors(120, 42, today)
        assert [d.cpf for d in debtors] == [d.cpf for d in again]
        assert len({d.cpf for d in debtors}) == 120
        assert len({d.phone for d in debtors}) == 120
        for d in debtors:
            assert normalize_cpf(d.cpf) == d.cpf
            assert to_e164(d.phone) == d.phone
            assert int(d.phone[3:5]) in VALID_DDDS
            assert d.phone[5] == "9"
        assert any(c in "áâãàéêíóôõúç" for d in debtors for c in d.name.lower())
        debts = [d.debts[0] for d in debtors]
        assert min(x.amount_cents for x in debts) >= 8000
        assert max(x.amount_cents for x in debts) <= 1_500_000
        kinds = Counter(x.kind for x in debts)
        assert set(kinds) == {"cartao_credito", "emprestimo_pessoal", "conta_luz", "crediario", "mensalidade_escolar"}
        ages = [(today - x.due_date).days for x in debts]
        assert min(ages) >= 15
        assert max(ages) <= 6 * 365
        prescribed = [a for a in ages if a > 5 * 365]
        assert 3 <= len(prescribed) <= 20
        # Older debt, larger allowed discount.
        by_age = sorted(debts, key=lambda x: x.due_date, reverse=True)
        assert by_age[0].max_discount_percentage < by_age[-1].max_discount_percentage
        for x in debts:
            assert x.min_payment_cents * x.max_installments <= x.amount_cents
            assert Decimal(0) < x.max_discount_percentage <= Decimal(60)

    def test_every_debtor_has_an_address_a_postman_would_find(self) -> None:
        # CEP ranges of the Correios by UF (first five digits), for the states the seed uses.
        ranges = {
            "SP": [(1000, 19999)],
            "RJ": [(20000, 28999)],
            "ES": [(29000, 29999)],
            "MG": [(30000, 39999)],
            "BA": [(40000, 48999)],
            "PE": [(50000, 56999)],
            "PB": [(58000, 58999)],
            "RN": [(59000, 59999)],
            "CE": [(60000, 63999)],
            "MA": [(65000, 65999)],
            "PA": [(66000, 68899)],
            "AM": [(69000, 69299), (69400, 69899)],
            "DF": [(70000, 72799), (73000, 73699)],
            "GO": [(72800, 72999), (73700, 76799)],
            "MT": [(78000, 78899)],
            "PR": [(80000, 87999)],
            "SC": [(88000, 89999)],
            "RS": [(90000, 99999)],
        }
        debtors = build_debtors(120, 42, date(2026, 11, 22))
        for d in debtors:
            address = address_of(d)
            assert address is not None, d.city
            assert address.uf == d.state
            assert any(lo <= int(address.cep[:5]) <= hi for lo, hi in ranges[address.uf]), (address.city, address.cep)
            assert address.number.isdigit()
        assert len({d.city for d in debtors}) >= 15
        assert len({d.street for d in debtors}) >= 30

    async def test_crm_seeds_an_empty_database_once(self, database_url: str, engine: AsyncEngine) -> None:
        import httpx

        from mock_crm.main import create_app
        from tests.conftest import CRM_KEY, crm_settings

        for _ in range(2):  # a restart does not seed again
            app = create_app(crm_settings(database_url, mock_debtors_count=120))
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://crm.test",
                    headers={"Authorization": f"Bearer {CRM_KEY}"},
                ) as c,
            ):
                page = (await c.get("/api/debtors", params={"page_size": 500})).json()
        assert page["total"] == 120
        assert all(normalize_cpf(i["cpf"]) == i["cpf"] for i in page["items"])
