"""The PIX QR code in the PDF is the code segno encodes, drawn as one path; the PDF is made once; the
form kept between boletos draws the same page."""

from __future__ import annotations

import io
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import segno
from reportlab.pdfgen.canvas import Canvas

from mock_crm.boletos import febraban, pdf
from mock_crm.boletos.pix import br_code
from tests.boletos.test_routes import agreement
from tests.factories import create_debtor


def _pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary PGM (P5) as pdftoppm -gray writes it."""
    data = path.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5"
    return int(fields[1]), int(fields[2]), data[pos + 1 :]


def test_every_module_drawn_where_segno_puts_it(tmp_path: Path) -> None:
    code = br_code(key="11222333000181", amount=Decimal("333.33"), name="Certo", city="SAO PAULO", txid="CB1")
    size = 200.0  # points; the page is exactly the code, quiet zone included
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(size, size), pageCompression=0)
    pdf.draw_qr(c, code, 0, 0, size)
    c.showPage()
    c.save()
    (tmp_path / "qr.pdf").write_bytes(buf.getvalue())
    ops = buf.getvalue().split(b"stream")[1].split()
    assert ops.count(b"re") > 100  # runs of dark modules as rectangles...
    assert ops.count(b"f") + ops.count(b"f*") == 1  # ...of one path, filled once
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "288", "-singlefile", str(tmp_path / "qr.pdf"), str(tmp_path / "qr")], check=True
    )
    width, height, pixels = _pgm(tmp_path / "qr.pgm")
    matrix = list(segno.make(code, error="m", micro=False).matrix_iter(border=4))
    n = len(matrix)
    for r, row in enumerate(matrix):
        for col, dark in enumerate(row):
            x, y = int((col + 0.5) * width / n), int((r + 0.5) * height / n)
            assert (pixels[y * width + x] < 128) == bool(dark), (r, col)


async def test_the_pdf_is_rendered_when_issued_and_never_on_get(
    crm: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = 0
    real = pdf.render

    def counted(doc: pdf.BoletoDoc) -> bytes:
        nonlocal renders
        renders += 1
        return real(doc)

    monkeypatch.setattr(pdf, "render", counted)
    d = await create_debtor(crm, debt="1500.00")
    boletos = (await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))).json()["boletos"]
    assert renders == 3
    first = await crm.get(f"/api/boletos/{boletos[0]['boleto_id']}/pdf")
    again = await crm.get(f"/api/boletos/{boletos[0]['boleto_id']}/pdf")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert first.content.startswith(b"%PDF-")
    assert renders == 3


async def test_nosso_numero_comes_from_the_sequence(crm: httpx.AsyncClient) -> None:
    d = await create_debtor(crm, debt="1500.00")
    a = (await crm.post("/api/boletos/generate", json=agreement(d["cpf"]))).json()["boletos"]
    b = (await crm.post("/api/boletos/generate", json=agreement(d["cpf"], session_id="outra"))).json()["boletos"]
    numbers = [int(x["nosso_numero"]) for x in a + b]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 6


def test_the_form_kept_once_draws_the_same_page_as_drawing_it_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rules, labels and fixed text are kept as PDF operators after the first boleto; the page a
    debtor sees must not change by one pixel, whatever the values (here two different boletos)."""
    assert pdf._form() is not None  # the fast path is the one in use
    docs = [_doc(1, "Maria da Silva", Decimal("100.07")), _doc(2, "José de Souza Albuquerque", Decimal("12345.60"))]
    kept = [pdf.render(d) for d in docs]
    monkeypatch.setattr(pdf, "_form", lambda: None)  # the whole form drawn on the page itself
    drawn = [pdf.render(d) for d in docs]
    pages = []
    for i, body in enumerate(kept + drawn):
        (tmp_path / f"{i}.pdf").write_bytes(body)
        subprocess.run(
            ["pdftoppm", "-gray", "-r", "150", "-singlefile", str(tmp_path / f"{i}.pdf"), str(tmp_path / str(i))],
            check=True,
        )
        pages.append(_pgm(tmp_path / f"{i}.pgm"))
    assert pages[0] == pages[2]
    assert pages[1] == pages[3]
    assert pages[0] != pages[1]  # the values are on the page: different boletos, different pixels


def _doc(n: int, payer: str, amount: Decimal) -> pdf.BoletoDoc:
    cents = int(amount * 100)
    due = date.today() + timedelta(days=10 * n)
    numbers = febraban.numbers("341", due, cents, febraban.itau_free_field("109", f"{n:08d}", "1500", "12345"))
    return pdf.BoletoDoc(
        bank_code="341",
        bank_dv="7",
        bank_name="Banco Itaú S.A.",
        creditor_name="Certo Recuperadora de Créditos Ltda",
        creditor_cnpj="11.222.333/0001-81",
        creditor_address="Av. Paulista, 1000, 10º andar, Bela Vista, São Paulo - SP, 01310-100",
        agency_account="1500 / 12345-6",
        carteira="109",
        nosso_numero=f"109/{n:08d}-0",
        document_number=f"{n:08d}",
        especie_doc="DS",
        payer_name=payer,
        payer_cpf="11144477735",
        payer_address=pdf.PayerAddress(
            street="Rua Tuiuti",
            number="1520",
            complement=None,
            district="Tatuapé",
            city="São Paulo",
            uf="SP",
            cep="03081000",
        ),
        amount_cents=cents,
        due_date=due,
        issue_date=date.today(),
        installment=n,
        installments=3,
        late_fee_percentage=Decimal("2.00"),
        late_fee_cents=cents * 2 // 100,
        daily_interest_percentage=Decimal("0.033"),
        daily_interest_cents=cents * 33 // 100_000,
        barcode=numbers.barcode,
        linha_formatada=numbers.linha_formatada,
        pix=br_code(key="11222333000181", amount=amount, name="Certo", city="SAO PAULO", txid=f"B{n}"),
        description="acordo de fatura do cartão de crédito, contrato CA12345678",
    )
