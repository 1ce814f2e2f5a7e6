"""Campaign files as teams have them, checked line by line before anything is sent; schedules, pause, cancel."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from openpyxl import Workbook

from certobot.campaigns.runner import tick
from certokit.clock import FixedClock
from tests.e2e.conftest import Stack, make_stack
from tests.factories import create_debtor, make_cpf

MONDAY_NOON = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo


async def upload(stack: Stack, name: str, content: bytes) -> httpx.Response:
    return await stack.bot.post("/api/campaigns/uploads", files={"file": (name, content)})


async def debtors_for_every_verdict(stack: Stack) -> dict[str, str]:
    ok = await create_debtor(stack.crm, name="João Araújo")
    opted = await create_debtor(stack.crm)
    paid = await create_debtor(stack.crm)
    prescribed = await create_debtor(stack.crm, days_past_due=2000)
    for d, change in ((opted, {"opted_out": True}), (paid, {"debt_status": "paid"})):
        r = await stack.crm.put(f"/api/debtors/{d['id']}", json=change)
        assert r.status_code == 200, r.text
    return {"ok": ok["cpf"], "opted": opted["cpf"], "paid": paid["cpf"], "prescribed": prescribed["cpf"]}


def formatted(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


class TestUploadReport:
    async def test_excel_semicolon_latin1_csv_gets_a_verdict_per_line(self, stack: Stack) -> None:
        c = await debtors_for_every_verdict(stack)
        unknown = make_cpf()
        csv = (
            "Nome;CPF;Observação\r\n"
            f"João Araújo;{formatted(c['ok'])};ação\r\n"
            "Fulano;123.456.789-00;\r\n"
            f"Optou;{c['opted']};\r\n"
            f"Pago;{c['paid']};\r\n"
            f"Velho;{c['prescribed']};\r\n"
            f"Ninguém;{unknown};\r\n"
            f"João de novo;{c['ok']};\r\n"
            ";;\r\n"
        ).encode("cp1252")
        r = await upload(stack, "devedores.csv", csv)
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["format"] == "csv"
        assert (report["total"], report["valid"], report["invalid"]) == (7, 1, 6)
        by_line = {line["line"]: line for line in report["lines"]}
        assert [by_line[n]["status"] for n in range(2, 9)] == [
            "ok",
            "invalid_cpf",
            "opted_out",
            "paid",
            "prescribed",
            "unknown_debtor",
            "duplicated",
        ]
        assert by_line[2]["name"] == "João Araújo"
        assert by_line[2]["cpf"] == f"***.***.***-{c['ok'][-2:]}"
        assert by_line[3]["reason"] == "CPF inválido."
        assert c["ok"] not in r.text  # the report never carries a whole CPF

    async def test_xlsx_with_cpfs_typed_as_numbers(self, stack: Stack) -> None:
        leading_zero = (await create_debtor(stack.crm, cpf=make_cpf(seed=12_345_678)))["cpf"]
        assert leading_zero.startswith("0")
        other = (await create_debtor(stack.crm))["cpf"]
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["nome", "cpf", "valor"])
        ws.append(["Ana", int(leading_zero), 100])  # Excel drops the zero of a number
        ws.append(["Bia", formatted(other), 200])
        buf = io.BytesIO()
        wb.save(buf)
        r = await upload(stack, "lista.xlsx", buf.getvalue())
        assert r.status_code == 200, r.text
        assert [line["status"] for line in r.json()["lines"]] == ["ok", "ok"]
        assert r.json()["format"] == "xlsx"

    async def test_json_lists_of_debtors_or_of_cpfs(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm)
        debtors = json.dumps([{"nome": "X", "cpf": d["cpf"]}, {"nome": "Y", "cpf": "1"}]).encode()
        r = await upload(stack, "legado.json", debtors)
        assert [line["status"] for line in r.json()["lines"]] == ["ok", "invalid_cpf"]
        r = await upload(stack, "cpfs.json", json.dumps([formatted(d["cpf"])]).encode())
        assert r.json()["valid"] == 1

    async def test_unreadable_files_are_refused_in_portuguese(self, stack: Stack) -> None:
        r = await upload(stack, "x.json", b"{nao e json")
        assert r.status_code == 422
        assert r.json()["detail"] == "JSON inválido."
        r = await upload(stack, "x.xlsx", b"PK\x03\x04 corrompido")
        assert r.status_code == 422
        assert "XLSX" in r.json()["detail"]
        r = await upload(stack, "vazio.csv", b"cpf\n")
        assert r.status_code == 422
        r = await stack.bot.post("/api/campaigns", json={"upload_id": "nao-existe"})
        assert r.status_code == 404
        assert "envie o arquivo de novo" in r.json()["detail"]


class TestCampaignFromUpload:
    async def test_scheduled_campaign_sends_only_the_valid_lines_at_its_time(
        self, database_url: str, redis_url: str, engine: object
    ) -> None:
        clock = FixedClock(MONDAY_NOON)
        async with make_stack(database_url, redis_url, run_background_workers=False, clock=clock) as stack:
            c = await debtors_for_every_verdict(stack)
            csv = f"cpf\n{c['ok']}\n{c['opted']}\n{c['ok']}\nabc\n".encode()
            report = (await upload(stack, "a.csv", csv)).json()
            start = MONDAY_NOON + timedelta(hours=2)
            r = await stack.bot.post(
                "/api/campaigns",
                json={"name": "Cartões", "upload_id": report["id"], "start_at": start.isoformat(), "per_minute": 600},
            )
            assert r.status_code == 202, r.text
            campaign = r.json()
            assert campaign["total"] == 1
            assert campaign["paused_reason"] == "Agendada: começa no horário marcado."
            resources = stack.bot_app.state.resources
            assert await tick(resources) == 0
            clock.set(start + timedelta(seconds=1))
            assert await tick(resources) == 1
            view = (await stack.bot.get(f"/api/campaigns/{campaign['id']}")).json()
            assert view["progress"]["sent"] == 1
            assert datetime.fromisoformat(view["start_at"]) == start
        templates = [s for s in stack.graph.sent if s.body and s.body["type"] == "template"]
        assert len(templates) == 1

    async def test_pause_resume_cancel_and_the_list(self, database_url: str, redis_url: str, engine: object) -> None:
        clock = FixedClock(MONDAY_NOON)
        async with make_stack(database_url, redis_url, run_background_workers=False, clock=clock) as stack:
            cpfs = [(await create_debtor(stack.crm))["cpf"] for _ in range(2)]
            first = (await stack.bot.post("/api/campaigns", json={"name": "Um", "cpfs": cpfs[:1]})).json()
            clock.advance(timedelta(seconds=1))
            second = (await stack.bot.post("/api/campaigns", json={"name": "Dois", "cpfs": cpfs[1:]})).json()
            resources = stack.bot_app.state.resources

            async def act(campaign: dict[str, Any], action: str) -> httpx.Response:
                return await stack.bot.post(f"/api/campaigns/{campaign['id']}/{action}")

            assert (await act(first, "pause")).json()["status"] == "paused"
            assert (await act(second, "cancel")).json()["status"] == "cancelled"
            assert await tick(resources) == 0  # nothing goes out of a paused or cancelled campaign
            r = await act(second, "resume")
            assert r.status_code == 409
            assert r.json()["detail"] == "A campanha está cancelada: não dá para retomar."
            assert (await act(first, "resume")).json()["status"] == "running"
            assert await tick(resources) == 1
            listed = (await stack.bot.get("/api/campaigns")).json()
            assert listed["total"] == 2
            assert [(c["name"], c["status"], c["progress"]["sent"]) for c in listed["items"]] == [
                ("Dois", "cancelled", 0),
                ("Um", "running", 1),
            ]
            assert (await stack.bot.post(f"/api/campaigns/{first['id']}/explode")).status_code == 422

    async def test_an_operator_cannot_upload(self, stack: Stack) -> None:
        r = await stack.bot.post(
            "/api/campaigns/uploads",
            files={"file": ("a.csv", b"cpf\n")},
            headers={"Authorization": "Bearer nada"},
        )
        assert r.status_code == 401


class TestCliFiles:
    def test_semicolon_latin1_csv(self, tmp_path: object) -> None:
        from pathlib import Path

        from certobot.cli import read_cpfs

        path = Path(str(tmp_path)) / "excel.csv"
        path.write_bytes("Nome;CPF\r\nJoão;111.444.777-35\r\nInês;529.982.247-25\r\nZé;000\r\n".encode("cp1252"))
        assert read_cpfs(path) == ["11144477735", "52998224725"]
