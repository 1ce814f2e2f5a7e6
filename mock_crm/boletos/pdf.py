"""The boleto as a PDF a debtor can pay, laid out as a bank prints it, with PIX.

Two parts on one A4 page, as in FEBRABAN's model: the recibo do pagador on top (what the debtor
keeps, with the PIX QR code and the instructions), and below the cut line the ficha de compensação
(the bank's part): bank code and linha digitável, Local de pagamento, Vencimento, Beneficiário
with CNPJ and address (CDC art. 42-A), Data do documento, Nº do documento, Espécie doc., Aceite,
Data do processamento, Nosso número, Carteira, Espécie, the value column ((-) Desconto/Abatimento,
(+) Mora/Multa, (=) Valor cobrado), the instructions with the fine and daily interest after the due
date, the Pagador box (the payer's name, full CPF and address, as banks print it) with
Sacador/Avalista, and the ITF (interleaved 2 of 5) barcode of the 44 digits at the FEBRABAN size
(about 103 x 13 mm, narrow bar 0.25 mm, wide 3x, quiet zones).

Drawn with reportlab; the PIX QR code with segno, as one vector path. CPU-bound: call it from a
thread; the CRM renders each boleto once, when it is issued, and stores the bytes. Nothing here
logs: the page carries a full CPF.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from reportlab.graphics.barcode.common import I2of5
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from certokit.cpf import format_cpf
from certokit.money import brl
from mock_crm.boletos import qr


@dataclass(frozen=True)
class PayerAddress:
    street: str
    number: str
    complement: str | None
    district: str
    city: str
    uf: str
    cep: str  # 8 digits

    def lines(self) -> tuple[str, str]:
        """As an envelope is written: street line, then CEP, city and UF."""
        street = f"{self.street}, {self.number}" + (f", {self.complement}" if self.complement else "")
        return f"{street} - {self.district}", f"CEP {self.cep[:5]}-{self.cep[5:]} - {self.city} - {self.uf}"


@dataclass(frozen=True, kw_only=True)
class BoletoDoc:
    bank_code: str
    bank_dv: str
    bank_name: str
    creditor_name: str
    creditor_cnpj: str
    creditor_address: str
    agency_account: str
    carteira: str
    nosso_numero: str
    document_number: str
    especie_doc: str  # DM (duplicata mercantil) or DS (duplicata de serviço)
    payer_name: str
    payer_cpf: str
    payer_address: PayerAddress | None
    amount_cents: int
    due_date: date
    issue_date: date
    installment: int
    installments: int
    late_fee_percentage: Decimal
    late_fee_cents: int
    daily_interest_percentage: Decimal
    daily_interest_cents: int
    barcode: str
    linha_formatada: str
    pix: str
    description: str

    @property
    def parcela(self) -> str:
        # One installment is a payment in full, not "parcela 1 de 1".
        if self.installments == 1:
            return "Pagamento à vista"
        return f"Parcela {self.installment} de {self.installments}"


LABEL = 5.6  # points: the small labels in the top-left corner of each box
VALUE = 8.5


def _pct(value: Decimal) -> str:
    """2.00 -> "2,00%", 0.033 -> "0,033%": as written, with a decimal comma."""
    return f"{value:f}".replace(".", ",") + "%"


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis if it would cross the box's right edge."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class _Pass:
    """What one drawing pass puts on the page: the form (rules, labels, fixed text: the same on every
    boleto, drawn once and kept as PDF operators, see `_form`) and/or the boleto's own values."""

    frame: bool
    values: bool


FRAME, VALUES, BOTH = _Pass(True, False), _Pass(False, True), _Pass(True, True)


def _box(
    c: Canvas,
    p: _Pass,
    x: float,
    y: float,
    w: float,
    h: float,
    label: str,
    lines: tuple[str, ...] = (),
    *,
    bold: bool = False,
    right: bool = False,
    shade: bool = False,
) -> None:
    """One field of the form: a ruled box, its label on top, its value lines below."""
    if p.frame:
        if shade:  # the Vencimento and Valor boxes, tinted as banks do so the eye finds them
            c.setFillGray(0.92)
            c.rect(x, y, w, h, stroke=0, fill=1)
            c.setFillGray(0)
        c.rect(x, y, w, h)
        c.setFont("Helvetica", LABEL)
        c.drawString(x + 1.2 * mm, y + h - 2.3 * mm, label)
    if not (p.values and lines):
        return
    font = "Helvetica-Bold" if bold else "Helvetica"
    c.setFont(font, VALUE)
    step = 3.4 * mm
    first = y + h - 2.3 * mm - step
    for i, line in enumerate(lines):
        text = _fit(line, font, VALUE, w - 2.4 * mm)
        if right:
            c.drawRightString(x + w - 1.2 * mm, first - i * step, text)
        else:
            c.drawString(x + 1.2 * mm, first - i * step, text)


def _header(c: Canvas, p: _Pass, doc: BoletoDoc, x: float, y: float, w: float, title: str, size: float) -> None:
    """Bank name | bank code with its digit | title, above a heavy rule (y is the rule)."""
    if p.values:
        c.setFont("Helvetica-Bold", 11)
        c.drawString(x, y + 2 * mm, _fit(doc.bank_name, "Helvetica-Bold", 11, 46 * mm))
    if p.frame:
        c.setLineWidth(1.4)
        c.line(x, y, x + w, y)
        c.line(x + 48 * mm, y, x + 48 * mm, y + 8 * mm)
        c.line(x + 68 * mm, y, x + 68 * mm, y + 8 * mm)
        c.setLineWidth(0.5)
    if p.values:
        c.setFont("Helvetica-Bold", 15)
        c.drawCentredString(x + 58 * mm, y + 2 * mm, f"{doc.bank_code}-{doc.bank_dv}")
        c.setFont("Helvetica-Bold", size)
        c.drawRightString(x + w, y + 2 * mm, title)


def _payer_lines(doc: BoletoDoc) -> tuple[str, str, str]:
    first = f"{doc.payer_name} - CPF {format_cpf(doc.payer_cpf)}"
    if doc.payer_address is None:
        return first, "Endereço não cadastrado", ""
    street, city = doc.payer_address.lines()
    return first, street, city


def _instructions(doc: BoletoDoc) -> list[str]:
    """Texto de responsabilidade do beneficiário, the same in both parts."""
    due = doc.due_date.strftime("%d/%m/%Y")
    return [
        f"{doc.parcela} - {doc.description}.",
        f"Após {due}, cobrar multa de {_pct(doc.late_fee_percentage)} ({brl(doc.late_fee_cents)}) "
        f"e juros de mora de {_pct(doc.daily_interest_percentage)} ao dia ({brl(doc.daily_interest_cents)} por dia).",
        f"Só pague se o beneficiário for {doc.creditor_name}, CNPJ {doc.creditor_cnpj}.",
        "Precisa de outra data? Responda a mensagem no WhatsApp antes do vencimento.",
    ]


_DARK_RUN = re.compile(b"\x01+")


def draw_qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The PIX QR code (level M, quiet zone of 4 modules) as one filled vector path.

    `qr.matrix` is segno's matrix, its mask chosen faster; each run of dark modules in a row becomes
    one rectangle of a single path written in module units (small integers) under one transform, so
    the PDF carries one fill of a few hundred short `re` operators instead of one shape per module.
    """
    border = 4
    code = qr.matrix(data)
    n = len(code) + 2 * border
    runs = [
        f"{m.start() + border} {r + border} {m.end() - m.start()} 1 re"
        for r, row in enumerate(code)
        for m in _DARK_RUN.finditer(row)
    ]
    module = size / n
    c.saveState()
    # Module units, row 0 at the top: x grows right, y grows down from the code's top-left corner.
    c.transform(module, 0, 0, -module, x, y + size)
    c.addLiteral("\n".join(runs) + "\nf")
    c.restoreState()


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def _recibo(c: Canvas, p: _Pass, doc: BoletoDoc, x: float, top: float, w: float) -> float:
    """The payer's part, on top; returns the lowest y it drew at (the same for every boleto)."""
    due = doc.due_date.strftime("%d/%m/%Y")
    issued = doc.issue_date.strftime("%d/%m/%Y")
    y = top - 9 * mm
    _header(c, p, doc, x, y, w, "Recibo do Pagador", 11)
    col = w * 0.75
    h = 8 * mm
    y -= 11.5 * mm
    _box(
        c,
        p,
        x,
        y,
        col,
        11.5 * mm,
        "Beneficiário",
        (f"{doc.creditor_name} - CNPJ {doc.creditor_cnpj}", doc.creditor_address),
    )
    _box(c, p, x + col, y, w - col, 11.5 * mm, "Agência / Código do beneficiário", (doc.agency_account,), right=True)
    y -= 14.5 * mm
    _box(c, p, x, y, col, 14.5 * mm, "Pagador", _payer_lines(doc))
    _box(c, p, x + col, y, w - col, 14.5 * mm, "Nosso número", (doc.nosso_numero,), right=True)
    y -= h
    q = w / 4
    _box(c, p, x, y, q, h, "Data do documento", (issued,))
    _box(c, p, x + q, y, q, h, "Nº do documento", (doc.document_number,))
    _box(c, p, x + 2 * q, y, q, h, "Vencimento", (due,), bold=True, right=True, shade=True)
    _box(
        c, p, x + 3 * q, y, q, h, "(=) Valor do documento", (brl(doc.amount_cents),), bold=True, right=True, shade=True
    )
    y -= h
    _box(c, p, x, y, q, h, "Pagamento", (doc.parcela,), bold=True)
    _box(c, p, x + q, y, q, h, "(-) Desconto / Abatimento")
    _box(c, p, x + 2 * q, y, q, h, "(+) Mora / Multa")
    _box(c, p, x + 3 * q, y, q, h, "(=) Valor cobrado")

    # PIX: the QR on the left, how to pay and the copy-and-paste text on its right.
    qr = 34 * mm
    y -= 2 * mm + qr
    tx = x + qr + 1 * mm
    if p.values:
        draw_qr(c, doc.pix, x - 2 * mm, y, qr)  # the quiet zone is in the code: align its dark part
        c.setFont("Helvetica-Bold", 10)
        c.drawString(tx, y + qr - 5 * mm, f"Pague com PIX: {brl(doc.amount_cents)} até {due}")
    if p.frame:
        c.setFont("Helvetica", 8)
        c.drawString(tx, y + qr - 9.5 * mm, "Abra o app do seu banco, escolha PIX > Ler QR code ou PIX Copia e Cola.")
    if p.values:
        c.setFont("Helvetica", 8)
        c.drawString(tx, y + qr - 13.5 * mm, f"Confira o recebedor antes de pagar: {doc.creditor_name}.")
        c.setFont("Courier", 6.5)
        for i, line in enumerate(_wrap(doc.pix, 90)):
            c.drawString(tx, y + qr - 18 * mm - i * 2.8 * mm, line)

    y -= 4 * mm
    if p.frame:
        c.setFont("Helvetica-Bold", 8)
        c.drawString(x, y, "Instruções (texto de responsabilidade do beneficiário)")
        c.setFont("Helvetica", 6)
        c.drawRightString(x + w, y, "Autenticação mecânica")
    if p.values:
        c.setFont("Helvetica", 7.5)
        for i, line in enumerate(_instructions(doc)):
            c.drawString(x, y - (i + 1) * 3.6 * mm, _fit(line, "Helvetica", 7.5, w * 0.75))
    return float(y - 4 * 3.6 * mm)


def _ficha(c: Canvas, p: _Pass, doc: BoletoDoc, x: float, top: float, w: float) -> None:
    """The bank's part, below the cut line, in FEBRABAN's order of boxes."""
    due = doc.due_date.strftime("%d/%m/%Y")
    issued = doc.issue_date.strftime("%d/%m/%Y")
    y = top - 9 * mm
    _header(c, p, doc, x, y, w, doc.linha_formatada, 10.5)
    col = w * 0.75
    rest = w - col
    h = 8 * mm
    y -= h
    _box(
        c,
        p,
        x,
        y,
        col,
        h,
        "Local de pagamento",
        ("Pagável em qualquer banco, lotérica ou app bancário, mesmo após o vencimento",),
    )
    _box(c, p, x + col, y, rest, h, "Vencimento", (due,), bold=True, right=True, shade=True)
    y -= 11.5 * mm
    _box(
        c,
        p,
        x,
        y,
        col,
        11.5 * mm,
        "Beneficiário",
        (f"{doc.creditor_name} - CNPJ {doc.creditor_cnpj}", doc.creditor_address),
    )
    _box(c, p, x + col, y, rest, 11.5 * mm, "Agência / Código do beneficiário", (doc.agency_account,), right=True)
    y -= h
    cx = x
    for label, value, share in (
        ("Data do documento", issued, 0.15),
        ("Nº do documento", doc.document_number, 0.17),
        ("Espécie doc.", doc.especie_doc, 0.11),
        ("Aceite", "N", 0.07),
        ("Data do processamento", issued, 0.25),
    ):
        _box(c, p, cx, y, col * share / 0.75, h, label, (value,))
        cx += col * share / 0.75
    _box(c, p, x + col, y, rest, h, "Nosso número", (doc.nosso_numero,), right=True)
    y -= h
    cx = x
    for label, value, share in (
        ("Uso do banco", "", 0.15),
        ("Carteira", doc.carteira, 0.12),
        ("Espécie", "R$", 0.11),
        ("Quantidade", "", 0.17),
        ("(x) Valor", "", 0.20),
    ):
        _box(c, p, cx, y, col * share / 0.75, h, label, (value,) if value else ())
        cx += col * share / 0.75
    _box(
        c, p, x + col, y, rest, h, "(=) Valor do documento", (brl(doc.amount_cents),), bold=True, right=True, shade=True
    )

    # Instructions on the left, five rows tall; the value column on the right, filled at the cashier.
    rows = ("(-) Desconto / Abatimento", "(-) Outras deduções", "(+) Mora / Multa", "(+) Outros acréscimos")
    _box(c, p, x, y - 5 * h, col, 5 * h, "Instruções (texto de responsabilidade do beneficiário)")
    if p.values:
        c.setFont("Helvetica", 7.5)
        for i, line in enumerate(_instructions(doc)):
            c.drawString(x + 1.2 * mm, y - 6.5 * mm - i * 3.8 * mm, _fit(line, "Helvetica", 7.5, col - 2.4 * mm))
    for label in rows:
        y -= h
        _box(c, p, x + col, y, rest, h, label)
    y -= h
    _box(c, p, x + col, y, rest, h, "(=) Valor cobrado", shade=True)

    # Pagador: the payer's name, CPF and address; Sacador/Avalista at its foot.
    ph = 17 * mm
    y -= ph
    _box(c, p, x, y, w, ph, "Pagador", _payer_lines(doc))
    if p.frame:
        c.setFont("Helvetica", LABEL)
        c.drawString(x + 1.2 * mm, y + 1.4 * mm, "Sacador/Avalista:")
        c.drawString(x + col + 1.2 * mm, y + 1.4 * mm, "Código de baixa")
        # ITF: 44 digits, narrow 0.254 mm (FEBRABAN allows 0.25-0.33), wide = 3x, 13 mm high.
        c.setFont("Helvetica", 6)
        c.drawRightString(x + w, y - 2.6 * mm, "Autenticação mecânica")
        c.setFont("Helvetica-Bold", 8)
        c.drawRightString(x + w, y - 6 * mm, "FICHA DE COMPENSAÇÃO")
    if p.values:
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
        bar.drawOn(c, x - 6 * mm, y - 16 * mm)


def _page(c: Canvas, p: _Pass, doc: BoletoDoc) -> None:
    x, w = 10 * mm, A4[0] - 20 * mm
    bottom = _recibo(c, p, doc, x, A4[1] - 8 * mm, w)
    cut = bottom - 6 * mm
    if p.frame:
        c.setDash(2, 2)
        c.line(x, cut, x + w, cut)
        c.setDash()
        c.setFont("Helvetica", 6)
        c.drawRightString(x + w, cut + 1.2 * mm, "Corte na linha pontilhada")
    _ficha(c, p, doc, x, cut - 3 * mm, w)


# Fonts named in a fixed order on every canvas, so /F1, /F2... mean the same fonts in the kept form.
_FONTS = ("Helvetica", "Helvetica-Bold", "Courier")


def _canvas(buf: io.BytesIO) -> Canvas:
    c = Canvas(buf, pagesize=A4)
    for font in _FONTS:
        c.setFont(font, VALUE)
    c.setLineWidth(0.5)
    return c


def _sample() -> BoletoDoc:
    """Any boleto: the form pass reads none of its values, only computes them."""
    return BoletoDoc(
        bank_code="000",
        bank_dv="0",
        bank_name="",
        creditor_name="",
        creditor_cnpj="",
        creditor_address="",
        agency_account="",
        carteira="",
        nosso_numero="",
        document_number="",
        especie_doc="",
        payer_name="",
        payer_cpf="00000000000",
        payer_address=None,
        amount_cents=0,
        due_date=date(2000, 1, 1),
        issue_date=date(2000, 1, 1),
        installment=1,
        installments=1,
        late_fee_percentage=Decimal(0),
        late_fee_cents=0,
        daily_interest_percentage=Decimal(0),
        daily_interest_cents=0,
        barcode="",
        linha_formatada="",
        pix="",
        description="",
    )


@cache
def _form() -> str | None:
    """The form's PDF operators (every rule, label and fixed text), drawn once per process.

    Read from reportlab's content list once; each boleto then adds them with the public
    `addLiteral`. None (draw the form on every page, as before) if this reportlab names fonts
    differently from one canvas to the next, which would make the kept operators wrong.
    """
    c = _canvas(io.BytesIO())
    start = len(c._code)
    c.saveState()
    _page(c, FRAME, _sample())
    c.restoreState()
    code: list[str] = c._code[start:]
    fonts = dict(c._doc.fontMapping)
    fresh = _canvas(io.BytesIO())
    same = all(fresh._doc.fontMapping.get(font) == fonts.get(font) for font in _FONTS) and set(fonts) == set(_FONTS)
    return "\n".join(code) if same else None


def render(doc: BoletoDoc) -> bytes:
    buf = io.BytesIO()
    c = _canvas(buf)
    c.setTitle(f"Boleto - {doc.parcela} - {doc.creditor_name}")
    c.setAuthor(doc.creditor_name)
    form = _form()
    if form is None:
        _page(c, BOTH, doc)
    else:
        c.addLiteral(form)
        _page(c, VALUES, doc)
    c.showPage()
    c.save()
    return buf.getvalue()
