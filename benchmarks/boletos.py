"""Boletos per second on this machine: numbers, PIX, QR and PDF, the whole slip — before and after.

"antes" is the CRM as it was on 2026-11-30: segno chooses the QR mask itself (scoring the eight
masks module by module in Python) and every page draws the whole form, rules and labels included.
"depois" is the CRM's code today: the same matrix with the masks scored as integers
(`mock_crm.boletos.qr`) and the form's PDF operators drawn once per process (`pdf._form`). Same
run, same process, same inputs, and the same page pixel for pixel. Pin it to one core for the
figure in performance.md:

taskset -c 0 uv run python benchmarks/boletos.py [N]
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import segno
from reportlab.pdfgen.canvas import Canvas

from mock_crm.boletos import febraban, pdf, pix

FAST_PATH = pdf.draw_qr
DARK = re.compile(b"\x01+")


def segno_qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR as the CRM drew it before: segno's own mask choice, then the same single path."""
    rows = [bytes(row) for row in segno.make(data, error="m", micro=False).matrix_iter(border=4)]
    runs = [f"{m.start()} {r} {m.end() - m.start()} 1 re" for r, row in enumerate(rows) for m in DARK.finditer(row)]
    module = size / len(rows)
    c.saveState()
    c.transform(module, 0, 0, -module, x, y + size)
    c.addLiteral("\n".join(runs) + "\nf")
    c.restoreState()


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


@contextmanager
def as_before() -> Iterator[None]:
    """The CRM's drawing before: segno's mask choice, and the whole form drawn on every page."""
    form = pdf._form
    pdf.draw_qr = segno_qr
    pdf._form = lambda: None  # type: ignore[assignment]  # None: no kept form, every page draws it
    try:
        yield
    finally:
        pdf.draw_qr = FAST_PATH
        pdf._form = form


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    runs: dict[str, list[tuple[float, float, float]]] = {"antes": [], "depois": []}
    for _ in range(2):  # interleaved, so a burst of load on a shared machine falls on both sides
        with as_before():
            runs["antes"].append(measure(count))
        runs["depois"].append(measure(count))
    print(f"boletos por rodada: {count}, duas rodadas de cada, intercaladas")
    names = {
        "antes": "antes  (máscara escolhida pelo segno, formulário a cada página)",
        "depois": "depois (máscaras pontuadas como inteiros, formulário uma vez)",
    }
    cpu = {}
    for key, name in names.items():
        wall = 2 / sum(1 / r[0] for r in runs[key])
        cpu[key] = 2 / sum(1 / r[1] for r in runs[key])
        kib = runs[key][0][2]
        print(f"{name}: {wall:6.1f}/s de relógio, {cpu[key]:6.1f}/s de CPU, PDF médio {kib:.1f} KiB")
    print(f"razão depois/antes (CPU): {cpu['depois'] / cpu['antes']:.2f}x")


if __name__ == "__main__":
    main()
