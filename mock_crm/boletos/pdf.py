"""The boleto as a PDF a debtor can pay: recibo do pagador and ficha de compensação, with PIX.

Drawn with reportlab: the ITF (interleaved 2 of 5) barcode from the 44 digits at the FEBRABAN size
(about 103 x 13 mm, narrow bar 0.25 mm, wide 3x, quiet zones), the formatted linha digitável, the
creditor's name, CNPJ and address (CDC art. 42-A), and the PIX QR code (segno, one vector path)
with its copy-and-paste text. CPU-bound: call it from a thread; the CRM renders each boleto once,
when it is issued, and stores the bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import segno
from reportlab.graphics.barcode.common import I2of5
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from certokit.cpf import format_cpf
from certokit.money import brl


@dataclass(frozen=True)
class BoletoDoc:
    bank_code: str
    bank_name: str
    creditor_name: str
    creditor_cnpj: str
    creditor_address: str
    agency_account: str
    carteira: str
    nosso_numero: str
    payer_name: str
    payer_cpf: str
    amount_cents: int
    due_date: date
    issue_date: date
    installment: int
    installments: int
    barcode: str
    linha_formatada: str
    pix: str
    description: str


def _field(c: Canvas, x: float, y: float, w: float, h: float, label: str, value: str, bold: bool = False) -> None:
    c.rect(x, y, w, h)
    c.setFont("Helvetica", 6)
    c.drawString(x + 1.2 * mm, y + h - 2.6 * mm, label)
    c.setFont("Helvetica-Bold" if bold else "Helvetica", 9)
    c.drawString(x + 1.2 * mm, y + 1.6 * mm, value)


def draw_qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The PIX QR code (level M, quiet zone of 4 modules) as one filled vector path.

    segno encodes it once; each run of dark modules in a row becomes one rectangle of a single path
    written in module units (small integers) under one transform, so the PDF carries one fill of a
    few hundred short `re` operators instead of a drawing of one shape per module.
    """
    rows = [list(row) for row in segno.make(data, error="m", micro=False).matrix_iter(border=4)]
    n = len(rows)
    runs: list[str] = []
    for r, row in enumerate(rows):
        col = 0
        while col < n:
            if not row[col]:
                col += 1
                continue
            start = col
            while col < n and row[col]:
                col += 1
            runs.append(f"{start} {r} {col - start} 1 re")
    module = size / n
    c.saveState()
    # Module units, row 0 at the top: x grows right, y grows down from the code's top-left corner.
    c.transform(module, 0, 0, -module, x, y + size)
    c.addLiteral("\n".join(runs) + "\nf")
    c.restoreState()


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def render(doc: BoletoDoc) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle(f"Boleto {doc.installment}/{doc.installments} - {doc.creditor_name}")
    c.setAuthor(doc.creditor_name)
    left, width = 12 * mm, A4[0] - 24 * mm
    top = A4[1] - 14 * mm
    parcela = f"Parcela {doc.installment} de {doc.installments}"
    due = doc.due_date.strftime("%d/%m/%Y")
    creditor = f"{doc.creditor_name} - CNPJ {doc.creditor_cnpj}"

    # --- recibo do pagador ---
    c.setFont("Helvetica-Bold", 13)
    c.drawString(left, top, f"{doc.bank_name} | {doc.bank_code}-7")
    c.setFont("Helvetica-Bold", 10)
    c.drawRightString(left + width, top, "RECIBO DO PAGADOR")
    y = top - 12 * mm
    _field(c, left, y, width * 0.6, 9 * mm, "Beneficiário", creditor, bold=True)
    _field(c, left + width * 0.6, y, width * 0.2, 9 * mm, "Vencimento", due, bold=True)
    _field(c, left + width * 0.8, y, width * 0.2, 9 * mm, "Valor do documento", brl(doc.amount_cents), bold=True)
    y -= 9 * mm
    _field(c, left, y, width * 0.6, 9 * mm, "Pagador", f"{doc.payer_name} - CPF {format_cpf(doc.payer_cpf)}")
    _field(c, left + width * 0.6, y, width * 0.2, 9 * mm, "Nosso número", doc.nosso_numero)
    _field(c, left + width * 0.8, y, width * 0.2, 9 * mm, "Parcela", parcela, bold=True)
    y -= 6 * mm
    c.setFont("Helvetica", 8)
    c.drawString(left, y, f"Endereço do beneficiário: {doc.creditor_address}")
    y -= 4.5 * mm
    c.drawString(left, y, f"Referente a: {doc.description}")
    y -= 4.5 * mm
    c.setFont("Helvetica-Bold", 9)
    c.drawString(left, y, "Linha digitável: " + doc.linha_formatada)

    # --- PIX ---
    y -= 8 * mm
    qr_size = 38 * mm
    draw_qr(c, doc.pix, left, y - qr_size, qr_size)
    c.setFont("Helvetica-Bold", 10)
    c.drawString(left + qr_size + 5 * mm, y - 5 * mm, "Pague com PIX")
    c.setFont("Helvetica", 8)
    c.drawString(
        left + qr_size + 5 * mm, y - 10 * mm, "Abra o app do seu banco, escolha PIX > Ler QR code ou Copia e cola."
    )
    c.drawString(left + qr_size + 5 * mm, y - 14 * mm, f"Confira o recebedor: {doc.creditor_name}.")
    c.setFont("Courier", 6.5)
    for i, line in enumerate(_wrap(doc.pix, 78)):
        c.drawString(left + qr_size + 5 * mm, y - 19 * mm - i * 3 * mm, line)

    # --- instruções ---
    y -= qr_size + 8 * mm
    c.setFont("Helvetica-Bold", 9)
    c.drawString(left, y, "Instruções")
    c.setFont("Helvetica", 8)
    for i, line in enumerate(
        [
            f"Pague até {due} em qualquer banco, lotérica, app bancário ou pelo PIX acima.",
            "Após o vencimento, o acordo pode ser cancelado: fale conosco antes se precisar de outra data.",
            f"Este boleto é emitido em nome de {doc.creditor_name}. Não pague boletos com outro beneficiário.",
            f"{parcela} do acordo. Dúvidas: responda a mensagem no WhatsApp.",
        ]
    ):
        c.drawString(left, y - (i + 1) * 4.2 * mm, line)

    # --- corte ---
    y -= 26 * mm
    c.setDash(2, 2)
    c.line(left, y, left + width, y)
    c.setDash()
    c.setFont("Helvetica", 6)
    c.drawRightString(left + width, y + 1.2 * mm, "Corte na linha pontilhada")

    # --- ficha de compensação ---
    y -= 10 * mm
    c.setFont("Helvetica-Bold", 13)
    c.drawString(left, y, f"{doc.bank_name} | {doc.bank_code}-7")
    c.setFont("Helvetica-Bold", 10.5)
    c.drawRightString(left + width, y, doc.linha_formatada)
    y -= 11 * mm
    _field(c, left, y, width * 0.75, 9 * mm, "Local de pagamento", "Pagável em qualquer banco até o vencimento")
    _field(c, left + width * 0.75, y, width * 0.25, 9 * mm, "Vencimento", due, bold=True)
    y -= 9 * mm
    _field(c, left, y, width * 0.75, 9 * mm, "Beneficiário", creditor)
    _field(c, left + width * 0.75, y, width * 0.25, 9 * mm, "Agência / Código beneficiário", doc.agency_account)
    y -= 9 * mm
    _field(c, left, y, width * 0.2, 9 * mm, "Data do documento", doc.issue_date.strftime("%d/%m/%Y"))
    _field(c, left + width * 0.2, y, width * 0.2, 9 * mm, "Nº do documento", f"{doc.installment}/{doc.installments}")
    _field(c, left + width * 0.4, y, width * 0.15, 9 * mm, "Espécie doc.", "DS")
    _field(c, left + width * 0.55, y, width * 0.2, 9 * mm, "Carteira", doc.carteira)
    _field(c, left + width * 0.75, y, width * 0.25, 9 * mm, "Nosso número", doc.nosso_numero)
    y -= 9 * mm
    _field(c, left, y, width * 0.75, 9 * mm, "Instruções", f"{parcela}. Não receber após o vencimento.")
    _field(c, left + width * 0.75, y, width * 0.25, 9 * mm, "(=) Valor do documento", brl(doc.amount_cents), bold=True)
    y -= 11 * mm
    c.rect(left, y, width, 11 * mm)
    c.setFont("Helvetica", 6)
    c.drawString(left + 1.2 * mm, y + 8.4 * mm, "Pagador")
    c.setFont("Helvetica", 8.5)
    c.drawString(left + 1.2 * mm, y + 4.8 * mm, f"{doc.payer_name} - CPF {format_cpf(doc.payer_cpf)}")
    c.drawString(left + 1.2 * mm, y + 1.4 * mm, f"Endereço do beneficiário: {doc.creditor_address}")
    # ITF: 44 digits, narrow 0.25 mm (FEBRABAN allows 0.25-0.33), wide = 3x, 13 mm high.
    y -= 17 * mm
    bar = I2of5(
        doc.barcode,
        barWidth=0.254 * mm,
        ratio=3,
        barHeight=13 * mm,
        checksum=0,
        bearers=0,
        quiet=1,
        lquiet=6 * mm,
        rquiet=6 * mm,
    )
    bar.drawOn(c, left - 6 * mm, y)
    c.setFont("Helvetica-Bold", 7)
    c.drawRightString(left + width, y + 14 * mm, "FICHA DE COMPENSAÇÃO - Autenticação mecânica")
    c.showPage()
    c.save()
    return buf.getvalue()
