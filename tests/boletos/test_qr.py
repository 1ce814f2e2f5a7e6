"""The PIX QR matrix is segno's, bit for bit: same data, same mask chosen, same format information.

`mock_crm.boletos.qr` only scores segno's eight masks faster; a debtor's banking app must read exactly
the code segno would have drawn, whatever the amount, the txid or the length of the names.
"""

from __future__ import annotations

import random
from decimal import Decimal

import segno

from mock_crm.boletos import pix, qr


def codes(count: int) -> list[str]:
    rnd = random.Random(14)  # fixed seed: the same codes on every run, many sizes and masks
    out = []
    for _ in range(count):
        out.append(
            pix.br_code(
                key=rnd.choice(["11222333000181", "cobranca@certo.com.br", "+5511987654321"]),
                amount=Decimal(rnd.randint(100, 10_000_000)) / 100,
                name="Certo Recuperadora"[: rnd.randint(5, 18)],
                city=rnd.choice(["Sao Paulo", "Rio de Janeiro", "BH"]),
                txid=f"B{rnd.randint(0, 10**9)}{'X' * rnd.randint(0, 15)}",
                description=rnd.choice([None, "acordo parcela 1 de 3", "A" * 40]),
            )
        )
    return out


def test_the_matrix_is_segnos_for_every_code() -> None:
    masks, sizes = set(), set()
    for data in codes(120):
        reference = segno.make(data, error="m", micro=False)
        assert [bytes(row) for row in qr.matrix(data)] == [bytes(row) for row in reference.matrix], data
        masks.add(reference.mask)
        sizes.add(len(reference.matrix))
    # The comparison covered the choice itself (several masks won) and several versions.
    assert len(masks) >= 4
    assert len(sizes) >= 2
