"""Boleto routes, the PDF a person reads, and delivery on WhatsApp through a Graph API stand-in."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.clock import today_sp
from mock_crm.boletos import delivery
from mock_crm.boletos.delivery import deliver_due
from mock_crm.boletos.febraban import barcode_from_linha
from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.boletos.pix import verify
from mock_crm.boletos.repository import BoletoRepository
from mock_crm.debtors.models import Debtor
from mock_crm.main import create_app, whatsapp_provider
from mock_crm.settings import CrmSettings
from tests.conftest import CRM_KEY, crm_settings
from tests.factories import create_debtor, make_cpf
from tests.fakes import FakeGraph


def to_phone(phone: str) -> ColumnElement[bool]:
    """Deliveries to this phone (the column is sealed: found through the debtor's phone hash)."""
    debtor = select(Debtor.id).where(Debtor.phone_key == phone).scalar_subquery()
    return BoletoDelivery.boleto_id.in_(select(Boleto.id).where(Boleto.debtor_id == debtor))


def agreement(cpf: str, **extra: Any) -> dict[str, Any]:
    return {
        "debtor_cpf": cpf,
        "total_amount": "1000.00",
        "installments": 3,
        "first_due_date": (today_sp() + timedelta(days=5)).isoformat(),
        **extra,
    }


@pytest.fixture
def settings(database_url: str) -> CrmSettings:
    return crm_settings(
        database_url,
        whatsapp_access_token=SecretStr("token"),
        whatsapp_phone_number_id="106540352242922",
        whatsapp_api_base_url="http://graph.test/v25.0",
    )


@pytest.fixture
async def graph_and_crm(settings: CrmSettings, engine: object) -> AsyncIterator[tuple[FakeGraph, httpx.AsyncClient]]:
    graph = FakeGraph()
    app = create_app(settings, graph_http=httpx.AsyncClient(transport=graph.transport))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {CRM_KEY}"},
        ) as client,
    ):
        yield graph, client


class TestGenerate:
    async def test_three_installments_add_up_to_the_cent(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, debt="1500.00")
        r = await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))
        assert r.status_code == 201
        boletos = r.json()["boletos"]
        assert [b["installment"] for b in boletos] == [1, 2, 3]
        assert sum(Decimal(b["amount"]) for b in boletos) == Decimal("1000.00")
        assert [b["amount"] for b in boletos] == ["333.34", "333.33", "333.33"]
        dues = [date.fromisoformat(b["due_date"]) for b in boletos]
        assert all(later.month != earlier.month for earlier, later in itertools.pairwise(dues))
        for b in boletos:
            assert barcode_from_linha(b["linha_digitavel_formatada"]) == b["barcode"]
            assert verify(b["pix_copia_e_cola"])
            assert b["pdf_url"].endswith(f"/api/boletos/{b['boleto_id']}/pdf")
        got = await crm.get(f"/api/boletos/{boletos[0]['boleto_id']}")
        assert got.json()["linha_digitavel"] == boletos[0]["linha_digitavel"]

    async def test_same_agreement_twice_gives_the_same_boletos(self, crm: httpx.AsyncClient, db: AsyncSession) -> None:
        d = await create_debtor(crm, debt="1500.00")
        first = await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))
        again = await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))
        assert again.status_code == 200
        assert [b["boleto_id"] for b in again.json()["boletos"]] == [b["boleto_id"] for b in first.json()["boletos"]]
        assert await db.scalar(select(func.count()).select_from(Boleto)) == 3

    @pytest.mark.parametrize(
        ("change", "status", "detail"),
        [
            ({"installments": 0}, 422, "installments"),
            ({"total_amount": "-10.00"}, 422, "total_amount"),
            ({"total_amount": "5000.00"}, 422, "passa do valor da dívida"),
            ({"first_due_date": "2020-01-01"}, 422, "primeiro vencimento já passou"),
        ],
    )
    async def test_agreement_that_does_not_hold_is_refused(
        self, crm: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], status: int, detail: str
    ) -> None:
        d = await create_debtor(crm, debt="1500.00")
        r = await crm.post("/api/boletos/generate", json={**agreement(d["cpf"]), **change})
        assert r.status_code == status
        assert detail in r.json()["detail"]
        assert await db.scalar(select(func.count()).select_from(Boleto)) == 0

    async def test_unknown_cpf_is_404(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post("/api/boletos/generate", json=agreement(make_cpf()))
        assert r.status_code == 404

    async def test_unknown_boleto_is_404(self, crm: httpx.AsyncClient) -> None:
        assert (await crm.get("/api/boletos/nao-existe")).status_code == 404
        assert (await crm.get("/api/boletos/nao-existe/pdf")).status_code == 404


class TestOutcomeGeneratesBoletos:
    async def test_successful_outcome_carries_its_boletos(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, debt="900.00")
        due = today_sp() + timedelta(days=3)
        r = await crm.post(
            "/api/negotiations/results",
            json={
                "session_id": "s-agreement-1",
                "debtor_cpf": d["cpf"],
                "outcome": "successful",
                "agreed_amount": "600.00",
                "discount_amount": "300.00",
                "installments": 2,
                "payment_date": due.isoformat(),
                "payment_method": "boleto",
                "interaction_timestamp": "2026-11-22T14:00:00Z",
                "duration": 200,
            },
        )
        assert r.status_code == 201
        body = r.json()
        assert [b["amount"] for b in body["boletos"]] == ["300.00", "300.00"]
        assert body["payment_slip_reference"]
        stored = (await crm.get("/api/negotiations/results/s-agreement-1")).json()
        assert [b["boleto_id"] for b in stored["boletos"]] == [b["boleto_id"] for b in body["boletos"]]


class TestPdf:
    async def test_pdf_renders_with_linha_and_amount(self, crm: httpx.AsyncClient, tmp_path: Path) -> None:
        d = await create_debtor(crm, debt="1500.00", name="Conceição Araújo")
        b = (await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))).json()["boletos"][1]
        r = await crm.get(f"/api/boletos/{b['boleto_id']}/pdf")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/pdf"
        pdf = tmp_path / "boleto.pdf"
        pdf.write_bytes(r.content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert b["linha_digitavel_formatada"] in text
        assert "R$ 333,33" in text
        assert "Parcela 2 de 3" in text
        assert "Conceição Araújo" in text
        assert "CNPJ 11.222.333/0001-81" in text
        assert date.fromisoformat(b["due_date"]).strftime("%d/%m/%Y") in text
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
        assert (tmp_path / "page.png").stat().st_size > 10_000


class TestDelivery:
    async def test_first_boleto_sent_now_with_the_schedule_and_the_pix_code_alone(
        self,
        graph_and_crm: tuple[FakeGraph, httpx.AsyncClient],
        settings: CrmSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        graph, crm = graph_and_crm
        d = await create_debtor(crm, debt="1500.00", phone="+5511987654321")
        await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))
        client = whatsapp_provider(settings, httpx.AsyncClient(transport=graph.transport))
        # Only the first installment goes now; the others wait until a few days before they fall due.
        assert await deliver_due(sessionmaker, client, settings) == 1
        uploads = [s for s in graph.sent if s.path.endswith("/media")]
        assert len(uploads) == 1
        assert uploads[0].media_bytes.count(b"%PDF-") == 1
        docs = [b for b in graph.messages_to("5511987654321") if b["type"] == "document"]
        assert len(docs) == 1
        assert docs[0]["to"] == "5511987654321"
        caption = docs[0]["document"]["caption"]
        assert "parcela 1 de 3" in caption
        assert "Próximas parcelas: 2x" in caption  # one summary of the schedule
        pix_texts = [b for b in graph.messages_to("5511987654321") if b["type"] == "text"]
        assert len(pix_texts) == 1
        assert pix_texts[0]["text"]["body"].startswith("000201")  # the PIX code alone in its bubble
        assert "6304" in pix_texts[0]["text"]["body"]
        assert await deliver_due(sessionmaker, client, settings) == 0  # nothing twice, nothing early

    async def test_one_installment_is_sent_as_a_payment_in_full(
        self,
        graph_and_crm: tuple[FakeGraph, httpx.AsyncClient],
        settings: CrmSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        graph, crm = graph_and_crm
        d = await create_debtor(crm, debt="1500.00", phone="+5511987654322")
        await crm.post("/api/boletos/generate", json=agreement(d["cpf"], installments=1))
        client = whatsapp_provider(settings, httpx.AsyncClient(transport=graph.transport))
        assert await deliver_due(sessionmaker, client, settings) == 1
        (doc,) = [b for b in graph.messages_to("5511987654322") if b["type"] == "document"]
        assert "pagamento à vista, R$ 1.000,00" in doc["document"]["caption"]
        assert doc["document"]["filename"] == "boleto-a-vista.pdf"
        (pix_text,) = [b for b in graph.messages_to("5511987654322") if b["type"] == "text"]
        assert pix_text["text"]["body"].startswith("000201")  # the PIX code alone: one long press copies it
        assert "parcela 1 de 1" not in doc["document"]["caption"]

    async def test_failures_are_retried_and_each_part_sent_once(
        self,
        graph_and_crm: tuple[FakeGraph, httpx.AsyncClient],
        settings: CrmSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        import stamina

        stamina.set_testing(True, attempts=1)
        try:
            graph, crm = graph_and_crm
            d = await create_debtor(crm, debt="1500.00", phone="+5511987654322")
            await crm.post("/api/boletos/generate", json=agreement(d["cpf"], installments=1, total_amount="100.00"))
            client = whatsapp_provider(settings, httpx.AsyncClient(transport=graph.transport))
            graph.fail_next(1, status=500, code=131000)
            assert await deliver_due(sessionmaker, client, settings) == 0
            async with sessionmaker() as s, s.begin():
                row = await s.scalar(select(BoletoDelivery))
                assert row is not None
                assert row.attempts == 1
                assert "131000" in (row.last_error or "")
                row.next_attempt_at = row.created_at  # the backoff elapses
            assert await deliver_due(sessionmaker, client, settings) == 1
            assert await deliver_due(sessionmaker, client, settings) == 0
            docs = [b for b in graph.messages_to("5511987654322") if b["type"] == "document"]
            assert len(docs) == 1
            assert len([s for s in graph.sent if s.path.endswith("/media")]) == 1
        finally:
            stamina.set_testing(False)


class Crash(BaseException):
    """A kill -9 as the code sees it: nothing after this point runs."""


class TestDeliveryCrash:
    @pytest.mark.parametrize(("part", "field"), [("document", "document_wamid"), ("text", "pix_wamid")])
    async def test_a_crash_after_meta_took_a_part_repeats_that_part_only(
        self,
        part: str,
        field: str,
        graph_and_crm: tuple[FakeGraph, httpx.AsyncClient],
        settings: CrmSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        graph, crm = graph_and_crm
        d = await create_debtor(crm, debt="1500.00", phone="+5511987654323")
        generated = (await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))).json()
        async with sessionmaker() as s, s.begin():  # every installment due to go out now (their dates came)
            await s.execute(
                update(BoletoDelivery)
                .where(to_phone("+5511987654323"))
                .values(next_attempt_at=BoletoDelivery.created_at)
            )
        client = whatsapp_provider(settings, httpx.AsyncClient(transport=graph.transport))
        # A step is recorded by record_delivery, the last one (with the PIX id) by finish_delivery.
        record, finish = BoletoRepository.record_delivery, BoletoRepository.finish_delivery
        recorded = 0

        def crash_at_the_second(values: dict[str, Any]) -> None:
            nonlocal recorded
            if field in values:
                recorded += 1
                if recorded == 2:
                    raise Crash  # Meta has the second boleto's part; the row does not know it

        async def record_or_die(self: BoletoRepository, d: Any, **values: Any) -> None:
            crash_at_the_second(values)
            await record(self, d, **values)

        async def finish_or_die(self: BoletoRepository, d: Any, boleto_id: str, **values: Any) -> None:
            crash_at_the_second(values)
            await finish(self, d, boleto_id, **values)

        monkeypatch.setattr(BoletoRepository, "record_delivery", record_or_die)
        monkeypatch.setattr(BoletoRepository, "finish_delivery", finish_or_die)
        with pytest.raises(Crash):
            await deliver_due(sessionmaker, client, settings)
        monkeypatch.setattr(BoletoRepository, "record_delivery", record)
        monkeypatch.setattr(BoletoRepository, "finish_delivery", finish)
        assert await deliver_due(sessionmaker, client, settings) == 0  # its lease still holds the rows
        async with sessionmaker() as s, s.begin():
            await s.execute(  # the lease runs out
                update(BoletoDelivery)
                .where(BoletoDelivery.locked_until.is_not(None), to_phone("+5511987654323"))
                .values(locked_until=BoletoDelivery.created_at)
            )
        assert await deliver_due(sessionmaker, client, settings) == 2
        sent = [b for b in graph.messages_to("5511987654323") if b["type"] == part]

        def key(b: dict[str, Any]) -> str:
            return str(b["document"]["caption"] if part == "document" else b["text"]["body"])

        counts = Counter(key(b) for b in sent)
        assert sorted(counts.values()) == [1, 1, 2]  # one part of one boleto twice, never the batch
        twice = next(k for k, n in counts.items() if n == 2)
        second = next(b for b in generated["boletos"] if b["installment"] == 2)
        # The PIX code travels alone in its message (one long press copies it): it names the boleto.
        assert "parcela 2 de 3" in twice.lower() if part == "document" else twice == second["pix_copia_e_cola"]
        other = "text" if part == "document" else "document"
        assert len([b for b in graph.messages_to("5511987654323") if b["type"] == other]) == 3
        # A repeated document uploads its PDF again: a media id the debtor never sees.
        assert len([s for s in graph.sent if s.path.endswith("/media")]) == 3 + (part == "document")
        async with sessionmaker() as s:
            rows = (await s.scalars(select(BoletoDelivery).where(to_phone("+5511987654323")))).all()
            assert {(r.status, r.locked_until) for r in rows} == {("sent", None)}

    async def test_a_killed_process_leaves_its_deliveries_free_at_once_not_after_the_lease(
        self,
        graph_and_crm: tuple[FakeGraph, httpx.AsyncClient],
        settings: CrmSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The CRM killed while sending the first of three boletos: the two it had leased but never
        touched went out two minutes late, after the lease, though nobody was sending them (the
        `crm-down` load runs that settled a minute after the CRM came back). The lease names the
        backend of the pass's connection; once the killed process's connections are gone, the next
        pass of the restarted CRM sends them at once, and repeats only the one part in flight."""
        graph, crm = graph_and_crm
        d = await create_debtor(crm, debt="1500.00", phone="+5511987654325")
        await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))
        async with sessionmaker() as s, s.begin():  # every installment due to go out now
            await s.execute(
                update(BoletoDelivery)
                .where(to_phone("+5511987654325"))
                .values(next_attempt_at=BoletoDelivery.created_at)
            )
        client = whatsapp_provider(settings, httpx.AsyncClient(transport=graph.transport))
        record = BoletoRepository.record_delivery

        async def killed_once_meta_took_the_first_document(self: BoletoRepository, d: Any, **values: Any) -> None:
            raise Crash

        monkeypatch.setattr(BoletoRepository, "record_delivery", killed_once_meta_took_the_first_document)
        with pytest.raises(Crash):
            await deliver_due(sessionmaker, client, settings)
        monkeypatch.setattr(BoletoRepository, "record_delivery", record)
        async with sessionmaker() as s:
            held = (
                await s.execute(
                    select(BoletoDelivery.locked_by, BoletoDelivery.locked_until).where(to_phone("+5511987654325"))
                )
            ).all()
        assert len(held) == 3
        assert all(by is not None and until is not None for by, until in held)  # the whole pass leased
        # While its backend lives, the lease holds (the process may still be working on them) …
        assert await deliver_due(sessionmaker, client, settings) == 0
        # … then the process dies: the kernel closes its connections, Postgres ends their backends.
        await sessionmaker.kw["bind"].dispose()
        for attempt in range(50):  # the backend leaves pg_stat_activity within moments
            if (sent := await deliver_due(sessionmaker, client, settings)) or attempt == 49:
                break
            await asyncio.sleep(0.05)
        assert sent == 3  # no waiting out the two-minute lease
        messages = graph.messages_to("5511987654325")
        documents = Counter(str(b["document"]["caption"]) for b in messages if b["type"] == "document")
        assert sorted(documents.values()) == [1, 1, 2]  # the one in flight twice, never the batch
        assert len([b for b in messages if b["type"] == "text"]) == 3  # each PIX code once
        async with sessionmaker() as s:
            rows = (await s.scalars(select(BoletoDelivery).where(to_phone("+5511987654325")))).all()
            assert {(r.status, r.locked_until, r.locked_by) for r in rows} == {("sent", None, None)}


class TestDeliveryLostAnswer:
    async def test_a_document_whose_answer_was_lost_is_not_sent_again(
        self,
        graph_and_crm: tuple[FakeGraph, httpx.AsyncClient],
        settings: CrmSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        import stamina

        graph, crm = graph_and_crm
        d = await create_debtor(crm, debt="1500.00", phone="+5511987654324")
        await crm.post("/api/boletos/generate", json=agreement(d["cpf"], installments=1, total_amount="100.00"))
        real = graph.handler

        def lose_the_document_answer(request: httpx.Request) -> httpx.Response:
            if b'"document"' in request.content:
                graph.lose_answers = 1  # Meta takes the document; its answer never arrives
            return real(request)

        transport = httpx.MockTransport(lose_the_document_answer)
        client = whatsapp_provider(settings, httpx.AsyncClient(transport=transport))
        stamina.set_testing(True, attempts=3)
        try:
            assert await deliver_due(sessionmaker, client, settings) == 0
            async with sessionmaker() as s, s.begin():
                row = await s.scalar(select(BoletoDelivery).where(to_phone("+5511987654324")))
                assert row is not None
                assert row.status == "failed"  # for a person to look at, not a second copy
                assert "ReadTimeout" in (row.last_error or "") or "timed out" in (row.last_error or "")
            assert await deliver_due(sessionmaker, client, settings) == 0
        finally:
            stamina.set_testing(False)
        docs = [b for b in graph.messages_to("5511987654324") if b["type"] == "document"]
        assert len(docs) == 1


async def test_the_delivery_loop_drains_a_backlog_longer_than_a_pass_without_a_wake_up(
    graph_and_crm: tuple[FakeGraph, httpx.AsyncClient],
    settings: CrmSettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Boletos issued in a burst: the NOTIFYs are spent on the first pass, and the rest must go out
    now, not one pass per fallback poll (20 every 15 s, before)."""
    graph, crm = graph_and_crm
    phones = [f"+55119876543{i:02d}" for i in range(5)]
    for phone in phones:
        d = await create_debtor(crm, debt="1500.00", phone=phone)
        await crm.post("/api/boletos/generate", json=agreement(d["cpf"], installments=1, total_amount="100.00"))
    monkeypatch.setattr(delivery, "PASS_LIMIT", 2)  # five deliveries: three passes
    client = whatsapp_provider(settings, httpx.AsyncClient(transport=graph.transport))
    stop = asyncio.Event()
    loop = asyncio.create_task(delivery.run_delivery_loop(sessionmaker, client, settings, stop, every=60))
    try:
        for _ in range(200):
            if all(any(b["type"] == "text" for b in graph.messages_to(p.lstrip("+"))) for p in phones):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
    for phone in phones:  # every debtor got the boleto and the PIX code, once
        sent = Counter(b["type"] for b in graph.messages_to(phone.lstrip("+")))
        assert sent == {"document": 1, "text": 1}, phone
