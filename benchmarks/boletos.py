"""Boletos per second on this machine: numbers, PIX, QR and PDF, the whole slip.

uv run python benchmarks/boletos.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from mock_crm.boletos import febraban, pdf, pix


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
            "341",
            "Banco Itaú S.A.",
            "Certo Recuperadora de Créditos Ltda",
            "11.222.333/0001-81",
            "Av. Paulista, 1000, São Paulo - SP",
            "1500 / 12345-6",
            "109",
            f"109/{i:08d}-0",
            "Maria da Silva",
            "11144477735",
            cents,
            due,
            date(2026, 11, 22),
            1,
            1,
            n.barcode,
            n.linha_formatada,
            code,
            "Acordo",
        )
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    one(0)  # warm-up: fonts and imports
    start = time.perf_counter()
    size = sum(len(one(i)) for i in range(count))
    elapsed = time.perf_counter() - start
    print(f"boletos: {count}")
    print(f"tempo: {elapsed:.2f} s")
    print(f"boletos por segundo: {count / elapsed:.1f}")
    print(f"tamanho médio do PDF: {size / count / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
