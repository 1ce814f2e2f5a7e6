"""The PIX QR code in the PDF is the code segno encodes, drawn as one path; the PDF is made once."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import segno
from reportlab.pdfgen.canvas import Canvas

from mock_crm.boletos import pdf
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
