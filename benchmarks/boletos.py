"""Boletos per second on this machine: numbers, PIX, QR and PDF, the whole slip — before and after.

"antes" draws the PIX QR as the CRM used to (reportlab's QrCodeWidget, which encodes the code twice
and emits a drawing of one shape per module); "depois" is the CRM's code today (segno, one vector
path). Same run, same process, same inputs. Pin it to one core for the figure in performance.md:

taskset -c 0 uv run python benchmarks/boletos.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas

from mock_crm.boletos import febraban, pdf, pix

SEGNO_PATH = pdf.draw_qr


def widget_qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR as the CRM drew it before: reportlab's widget, scaled from its bounds."""
    qr = QrCodeWidget(data, barLevel="M")
    b = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (b[2] - b[0]), 0, 0, size / (b[3] - b[1]), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, c, x, y)


def one(i: int) -> bytes:
    due = date(2026, 12, 1) + timedelta(days=i % 60)
    cents = 10_000 + i
    free = febraban.itau_free_field("109", f"{i:08d}", "1500", "12345")
    n = febraban.numbers("341", due, cents, free)
    code = pix.br_code(
        key="11222333000181", amount=Decimal(cents) / 100, name="Certo Recuperadora", city="Sao Paulo", txid=f"B{i}"
    )
    return pdf.render(
        pdf.BoletoDoc(
            bank_code="341",
            bank_dv="7",
            bank_name="Banco Itaú S.A.",
            creditor_name="Certo Recuperadora de Créditos Ltda",
            creditor_cnpj="11.222.333/0001-81",
            creditor_address="Av. Paulista, 1000, 10º andar, Bela Vista, São Paulo - SP, 01310-100",
            agency_account="1500 / 12345-6",
            carteira="109",
            nosso_numero=f"109/{i:08d}-0",
            document_number=f"{i:08d}",
            especie_doc="DS",
            payer_name="Maria da Silva",
            payer_cpf="11144477735",
            payer_address=pdf.PayerAddress(
                street="Rua Domingos de Morais",
                number="1200",
                complement="apto 42",
                district="Vila Mariana",
                city="São Paulo",
                uf="SP",
                cep="04010100",
            ),
            amount_cents=cents,
            due_date=due,
            issue_date=date(2026, 11, 22),
            installment=1,
            installments=3,
            late_fee_percentage=Decimal("2.00"),
            late_fee_cents=cents * 2 // 100,
            daily_interest_percentage=Decimal("0.033"),
            daily_interest_cents=cents * 33 // 100_000,
            barcode=n.barcode,
            linha_formatada=n.linha_formatada,
            pix=code,
            description="acordo de fatura do cartão de crédito (Banco Aurora S.A.), contrato CA12345678",
        )
    )


def measure(count: int) -> tuple[float, float, float]:
    """(boletos per second of wall time, per second of this process's CPU time, mean PDF KiB).

    The CPU-time rate is what one uncontended core would do; on a machine shared with other work
    the wall-clock rate also counts the time the process waited for a core.
    """
    one(0)  # warm-up: fonts and imports
    wall, cpu = time.perf_counter(), time.process_time()
    size = sum(len(one(i)) for i in range(count))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, count / cpu, size / count / 1024


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    pdf.draw_qr = widget_qr  # type: ignore[assignment]  # the old drawing, for the same-run comparison
    before = measure(count)
    pdf.draw_qr = SEGNO_PATH
    after = measure(count)
    print(f"boletos por rodada: {count}")
    for name, (wall, cpu, kib) in (("antes  (QrCodeWidget)", before), ("depois (segno, 1 path)", after)):
        print(f"{name}: {wall:6.1f}/s de relógio, {cpu:6.1f}/s de CPU, PDF médio {kib:.1f} KiB")
    print(f"razão depois/antes (CPU): {after[1] / before[1]:.2f}x")


if __name__ == "__main__":
    main()
