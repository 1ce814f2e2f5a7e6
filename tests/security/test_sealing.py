"""CPFs and phones are sealed at rest in both services: a whole debtor's life leaves neither in a dump.

The life: a campaign uploaded with the debtor's CPF, the opening, a wrong guess at the challenge, the
right digits, the whole CPF and the phone typed in the chat, an agreement, the boleto delivered on
WhatsApp, the payment and its receipt, and a data-subject export. Then every row of every table of
both schemas (JSON, text and bytes; PDFs read as text) is searched for every way the CPF and the
phone can be written.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from certobot import migrate as bot_migrate
from certobot.base import BotBase
from certobot.config import BotSettings
from certobot.lifecycle.models import PaymentNotice
from certobot.negotiation.models import Conversation
from certobot.sealed import SEAL as BOT_SEAL
from certobot.sealed import rotate_database as rotate_bot
from certokit.clock import FixedClock
from certokit.sealing import Sealer, SealingError, dev_key, keys_refusal, parse_data_keys
from mock_crm import migrate as crm_migrate
from mock_crm.base import CrmBase
from mock_crm.boletos.models import Boleto
from mock_crm.debtors.models import Debtor
from mock_crm.sealed import SEAL as CRM_SEAL
from mock_crm.sealed import rotate_database as rotate_crm
from tests.conftest import crm_settings
from tests.e2e.conftest import bot_settings
from tests.factories import create_debtor
from tests.life.conftest import life_stack
from tests.life.helpers import payment, until

PHONE = "+5511987651701"


def cpf_writings(cpf: str) -> list[str]:
    return [cpf, f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}", f"{cpf[:3]} {cpf[3:6]} {cpf[6:9]} {cpf[9:]}"]


def phone_writings(e164: str) -> list[str]:
    d = e164.lstrip("+")  # 5511987651701
    ddd, local = d[2:4], d[4:]  # 11, 987651701
    old = local[1:]  # 87651701: the account from before the ninth digit
    return [
        e164,
        d,
        ddd + local,
        f"55{ddd}{old}",
        f"+55{ddd}{old}",
        ddd + old,
        f"({ddd}) {local[:5]}-{local[5:]}",
        f"{local[:5]}-{local[5:]}",
        f"{old[:4]}-{old[4:]}",
        local,
        old,
    ]


async def dump(db: AsyncSession) -> str:
    """Every row of every table of both services as a dump shows it, bytes decoded, PDFs as their text."""
    out: list[str] = []
    tables = [*CrmBase.metadata.sorted_tables, *BotBase.metadata.sorted_tables]
    for table in tables:
        result = await db.execute(text(f"SELECT CAST(t AS text) FROM {table.name} t"))
        out.extend(str(r[0]) for r in result)
    columns = await db.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema IN ('bot', 'crm') AND data_type = 'bytea'"
        )
    )
    for table_name, column in columns.all():
        for (raw,) in await db.execute(text(f'SELECT "{column}" FROM {table_name} WHERE "{column}" IS NOT NULL')):
            blob = bytes(raw)
            out.append(blob.decode("latin-1"))
            if blob.startswith(b"%PDF"):
                out.extend(page.extract_text() for page in PdfReader(io.BytesIO(blob)).pages)
    return "\n".join(out)


class TestNothingInClear:
    async def test_a_whole_life_leaves_no_cpf_or_phone_in_either_database(
        self, database_url: str, redis_url: str, engine: object, db: AsyncSession
    ) -> None:
        clock = FixedClock(datetime.now(UTC))
        async with life_stack(database_url, redis_url, clock) as stack:
            d = await create_debtor(stack.crm, name="Joana Prado", debt="1000.00", phone=PHONE)
            cpf, phone = d["cpf"], PHONE.lstrip("+")
            formatted = cpf_writings(cpf)[1]

            # A campaign uploaded with the CPF, opened on WhatsApp.
            up = await stack.bot.post("/api/campaigns/uploads", files={"file": ("lista.csv", f"cpf\n{formatted}\n")})
            assert up.status_code == 200, up.text
            r = await stack.bot.post("/api/campaigns", json={"name": "Sigilo", "upload_id": up.json()["id"]})
            assert r.status_code == 202, r.text
            await until(lambda: any(s.body and s.body["type"] == "template" for s in stack.graph.sent))

            # The chat: a wrong guess, the right digits, the whole CPF and the phone typed.
            wrong = "999" if not cpf.startswith("999") else "111"
            await stack.say(phone, "oi")
            await stack.say(phone, wrong)
            opened = await stack.say(phone, cpf[:3])
            assert "R$ 1.000,00" in " ".join(opened)
            await stack.say(phone, f"meu cpf é {formatted} e meu celular é (11) 98765-1701")
            await stack.say(phone, "quero pagar à vista")
            await stack.say(phone, "fechou", wait=15)
            outcome = await stack.outcome(phone)
            assert outcome is not None
            assert outcome["outcome"] == "successful", outcome
            await until(lambda: any(t.startswith("[documento]") for t in stack.graph.texts_to(phone)))

            # Paid; the bot hears of it from the CRM's webhook.
            boleto = outcome["boletos"][0]
            paid = await stack.crm.post(
                "/api/payments", json=payment(boleto["boleto_id"], outcome["agreed_amount"], "SIGILO-1")
            )
            assert paid.status_code in (200, 201), paid.text
            for _ in range(150):
                if await db.scalar(select(PaymentNotice.id).limit(1)) is not None:
                    break
                await asyncio.sleep(0.1)
            assert await db.scalar(select(PaymentNotice.id).limit(1)) is not None

            exported = await stack.bot.post("/api/data-subject/export", json={"cpf": cpf})
            assert exported.status_code == 200, exported.text
            assert exported.json()["crm"]["cadastro"]["cpf"] == cpf  # the services still read it back

            # The lookups go through the hashes: by CPF, and by phone with or without the ninth digit.
            assert (await stack.crm.get(f"/api/debtors/{cpf}")).status_code == 200
            for writing in (PHONE, "+551187651701"):
                listed = (await stack.crm.get("/api/debtors", params={"phone": writing})).json()
                assert [i["cpf"] for i in listed["items"]] == [cpf]
            conv = await db.scalar(select(Conversation).where(Conversation.phone_key == "551187651701"))
            assert conv is not None
            assert conv.debtor_cpf == cpf
            assert conv.phone == PHONE

            everything = await dump(db)

        assert "Joana" in everything  # the dump sees the rows (names are not sealed)
        assert "SIGILO-1" in everything
        for writing in cpf_writings(cpf) + phone_writings(PHONE):
            assert writing not in everything, f"{writing!r} em claro no banco"


class TestKeys:
    async def test_rotation_reseals_under_the_new_key_and_the_old_one_can_then_go(
        self, database_url: str, crm: object, db: AsyncSession
    ) -> None:
        d = await create_debtor(crm, debt="500.00", phone="+5511987651702")  # type: ignore[arg-type]
        pdf = b"%PDF-1.4 fake " + d["cpf"].encode()
        row = await db.scalar(select(Debtor).where(Debtor.cpf_hash == d["cpf"]))
        assert row is not None
        db.add(
            Boleto(
                id="b-rot",
                debtor_id=row.id,
                agreement_key="k",
                installment=1,
                installments=1,
                amount_cents=1,
                due_date=datetime.now(UTC).date(),
                nosso_numero="1",
                barcode="0" * 44,
                linha_digitavel="0" * 47,
                pix_copia_e_cola="x",
                pdf=pdf,
            )
        )
        await db.commit()
        old = (await db.execute(text("SELECT cpf FROM crm_debtors"))).scalar_one()
        assert old.startswith("dev:")

        new_key = base64.b64encode(os.urandom(32)).decode()
        dev = base64.b64encode(dev_key("mock_crm", "data")).decode()
        both = crm_settings(database_url, data_keys=f"k2:{new_key},dev:{dev}")
        try:
            done = await rotate_crm(both)
            assert done.kid == "k2"
            assert done.rows >= 2
            stored = (await db.execute(text("SELECT cpf FROM crm_debtors"))).scalar_one()
            assert stored.startswith("k2:")
            assert d["cpf"] not in stored
            blob = (await db.execute(text("SELECT pdf FROM crm_boletos"))).scalar_one()
            assert bytes(blob).startswith(b"k2:")

            # The old key retired: everything still opens, and lookups by CPF still find the debtor.
            CRM_SEAL.configure(parse_data_keys(f"k2:{new_key}"), None)
            db.expire_all()
            again = await db.scalar(select(Debtor).where(Debtor.cpf_hash == d["cpf"]))
            assert again is not None
            assert again.cpf == d["cpf"]
            assert again.phone == "+5511987651702"
            assert await db.scalar(select(Boleto.pdf).where(Boleto.id == "b-rot")) == pdf

            # A row sealed under a key no longer configured is an error, never a wrong value.
            CRM_SEAL.configure(None, None)
            db.expire_all()
            with pytest.raises(SealingError):
                await db.scalar(select(Debtor.cpf))
        finally:
            CRM_SEAL.configure(None, None)
            await db.rollback()

    async def test_bot_rotation_reseals_conversations(
        self, database_url: str, redis_url: str, db: AsyncSession
    ) -> None:
        db.add(
            Conversation(
                id="c-rot",
                debtor_cpf="52998224725",
                phone="+5511987651703",
                phone_key="551187651703",
                origin="inbound",
                outcome={"debtor_cpf": "52998224725"},
            )
        )
        await db.commit()
        new_key = base64.b64encode(os.urandom(32)).decode()
        dev = base64.b64encode(dev_key("certobot", "data")).decode()
        try:
            done = await rotate_bot(bot_settings(database_url, redis_url, data_keys=f"k2:{new_key},dev:{dev}"))
            assert done.kid == "k2"
            assert done.rows >= 1
            raw = (await db.execute(text("SELECT debtor_cpf, phone, outcome FROM conversations"))).one()
            assert all(v.startswith("k2:") for v in raw)
            BOT_SEAL.configure(parse_data_keys(f"k2:{new_key}"), None)
            db.expire_all()
            conv = await db.scalar(select(Conversation).where(Conversation.debtor_cpf_hash == "529.982.247-25"))
            assert conv is not None
            assert conv.phone == "+5511987651703"
            assert conv.outcome == {"debtor_cpf": "52998224725"}
        finally:
            BOT_SEAL.configure(None, None)

    def test_production_refuses_missing_development_and_short_keys(self) -> None:
        good = base64.b64encode(os.urandom(32)).decode()
        assert keys_refusal("certobot", None, good) is not None
        assert keys_refusal("certobot", f"k1:{good}", None) == (
            "DATA_HASH_KEY: obrigatório em produção (gere com `openssl rand -base64 32`)"
        )
        dev = base64.b64encode(dev_key("certobot", "data")).decode()
        assert keys_refusal("certobot", f"k1:{dev}", good) == (
            "DATA_KEYS: a chave de desenvolvimento não é permitida em produção"
        )
        assert keys_refusal("certobot", f"k1:{good}", good) is None
        with pytest.raises(ValueError, match="16 bytes"):
            parse_data_keys("k1:" + base64.b64encode(b"x" * 16).decode())

    def test_a_short_key_is_one_line_naming_the_setting(self) -> None:
        from certokit.startup import ConfigError, load_settings

        with pytest.raises(ConfigError) as err:
            load_settings(BotSettings, _env_file=None, data_keys="k1:" + base64.b64encode(b"x" * 16).decode())
        assert str(err.value).startswith("Configuração inválida: DATA_KEYS: a chave k1 tem 16 bytes")


class TestPrimitives:
    def test_both_writings_of_a_mobile_and_every_writing_of_a_cpf_share_one_hash(self) -> None:
        s = Sealer("teste")
        assert (
            len({s.phone_hash(p) for p in ("+5511987651701", "5511987651701", "551187651701", "(11) 98765-1701")}) == 1
        )
        assert s.phone_hash("+5511987651701") != s.phone_hash("+5511987651702")
        assert len({s.cpf_hash(c) for c in ("52998224725", "529.982.247-25", "529 982 247 25")}) == 1
        assert s.blind(s.cpf_hash("52998224725")) == s.cpf_hash("52998224725")  # a hash is not hashed again
        # A column compared with a value already hashed (a lookup by the stored hash, an IN list of
        # hashes) must find the row: the digits inside a hash are not normalised into a new "CPF".
        h = s.cpf_hash("52998224725")
        assert s.cpf_hash(h) == h
        assert s.phone_hash(s.phone_hash("+5511987651701")) == s.phone_hash("+5511987651701")

    def test_a_fresh_nonce_each_time_and_a_tampered_value_is_refused(self) -> None:
        s = Sealer("teste")
        a, b = s.seal_text("52998224725"), s.seal_text("52998224725")
        assert a != b
        assert s.open_text(a) == s.open_text(b) == "52998224725"
        kid, _, body = a.partition(":")
        raw = bytearray(base64.b64decode(body))
        raw[-1] ^= 1
        with pytest.raises(SealingError):
            s.open_text(kid + ":" + base64.b64encode(bytes(raw)).decode())

    def test_values_written_before_sealing_are_read_as_they_are(self) -> None:
        s = Sealer("teste")
        assert s.open_text("+5511987651701") == "+5511987651701"
        assert s.open_text('{"to":"5511987651701"}') == '{"to":"5511987651701"}'
        assert s.open_bytes(b"%PDF-1.4 ...") == b"%PDF-1.4 ..."


class TestMigration:
    def test_rows_written_in_clear_before_are_sealed_by_the_migrations(self, tmp_path: Path) -> None:
        bot_url, crm_url = f"sqlite+aiosqlite:///{tmp_path}/bot.db", f"sqlite+aiosqlite:///{tmp_path}/crm.db"
        bot_migrate.upgrade(bot_url, "0008")
        crm_migrate.upgrade(crm_url, "crm_0007")
        now = datetime.now(UTC).isoformat()
        with sqlite3.connect(tmp_path / "bot.db") as c:
            c.execute(
                "INSERT INTO conversations (id, debtor_cpf, phone, phone_key, origin, status, phase, "
                "validation_attempts, state_version, created_at, updated_at) VALUES "
                "('c1', '52998224725', '+5511987651701', '551187651701', 'inbound', 'active', 'validation', 0, 0, ?, ?)",
                (now, now),
            )
        with sqlite3.connect(tmp_path / "crm.db") as c:
            c.execute(
                "INSERT INTO crm_debtors (public_id, cpf, name, phone, phone_key, opted_out, created_at, updated_at) "
                "VALUES ('p1', '52998224725', 'Joana', '+5511987651701', '551187651701', 0, ?, ?)",
                (now, now),
            )
        bot_migrate.upgrade(bot_url)
        crm_migrate.upgrade(crm_url)

        with sqlite3.connect(tmp_path / "bot.db") as c:
            cpf, phone, key, cpf_hash = c.execute(
                "SELECT debtor_cpf, phone, phone_key, debtor_cpf_hash FROM conversations"
            ).fetchone()
        assert cpf.startswith("dev:") and phone.startswith("dev:")  # noqa: PT018
        assert BOT_SEAL.open_text(cpf) == "52998224725"
        assert (key, cpf_hash) == (BOT_SEAL.phone_hash("+5511987651701"), BOT_SEAL.cpf_hash("52998224725"))
        with sqlite3.connect(tmp_path / "crm.db") as c:
            cpf, key, cpf_hash = c.execute("SELECT cpf, phone_key, cpf_hash FROM crm_debtors").fetchone()
        assert CRM_SEAL.open_text(cpf) == "52998224725"
        assert (key, cpf_hash) == (CRM_SEAL.phone_hash("5511987651701"), CRM_SEAL.cpf_hash("52998224725"))


class TestCommands:
    def test_rotate_keys_commands_name_the_new_key(self, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        from typer.testing import CliRunner

        from certobot.cli import app as bot_cli
        from mock_crm.cli import app as crm_cli

        new_key = base64.b64encode(os.urandom(32)).decode()
        monkeypatch.setenv("DATABASE_URL", database_url)
        try:
            for cli, service in ((bot_cli, "certobot"), (crm_cli, "mock_crm")):
                dev = base64.b64encode(dev_key(service, "data")).decode()
                monkeypatch.setenv("DATA_KEYS", f"k9:{new_key},dev:{dev}")
                result = CliRunner().invoke(cli, ["rotate-keys"])
                assert result.exit_code == 0, result.output
                assert "Recifrado com a chave k9" in result.output
            monkeypatch.setenv("DATA_KEYS", "k9:curta")
            result = CliRunner().invoke(bot_cli, ["rotate-keys"])
            assert result.exit_code == 2
            assert "DATA_KEYS" in result.output
        finally:
            BOT_SEAL.configure(None, None)
            CRM_SEAL.configure(None, None)
