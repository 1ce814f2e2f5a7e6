"""FEBRABAN numbers and PIX BR Codes against examples published by others."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from mock_crm.boletos import febraban, pix
from mock_crm.boletos.service import percent_of

# Published pairs (barcode, linha digitável).
PUBLISHED = [
    # Stark Bank SDK documentation (starkbank/sdk-python, BoletoPayment "line" and "bar_code" examples).
    ("34195819600000000621090063571277307144464000", "34191.09008 63571.277308 71444.640008 5 81960000000062"),
]


class TestSlipHeaderAndCharges:
    @pytest.mark.parametrize(
        ("bank", "printed"),
        # As the banks print them in the slip's header.
        [("341", "7"), ("001", "9"), ("237", "2"), ("104", "0"), ("033", "7"), ("756", "0")],
    )
    def test_bank_code_digit(self, bank: str, printed: str) -> None:
        assert febraban.bank_dv(bank) == printed

    @pytest.mark.parametrize(
        ("cents", "percentage", "expected"),
        [
            (100_000, Decimal("2.00"), 2_000),  # multa de 2% sobre R$ 1.000,00
            (33_333, Decimal("2.00"), 667),  # R$ 6,6666 -> R$ 6,67
            (100_000, Decimal("0.033"), 33),  # 1% a.m. ~ 0,033% a.d.: R$ 0,33 por dia
            (33_333, Decimal("0.033"), 11),
            (150, Decimal("0.033"), 0),
            (1_515, Decimal("0.033"), 0),  # 0.49995 of a cent
            (1_516, Decimal("0.033"), 1),  # 0.50028 of a cent
        ],
    )
    def test_late_charges_in_cents_rounded_half_up(self, cents: int, percentage: Decimal, expected: int) -> None:
        assert percent_of(cents, percentage) == expected


class TestBarcodeAndLinha:
    @pytest.mark.parametrize(("code", "linha"), PUBLISHED)
    def test_published_barcode_to_linha_and_back(self, code: str, linha: str) -> None:
        assert febraban.is_valid_barcode(code)
        assert febraban.format_linha(febraban.linha_digitavel(code)) == linha
        assert febraban.barcode_from_linha(linha) == code

    def test_one_wrong_digit_is_caught(self) -> None:
        code, linha = PUBLISHED[0]
        broken = code[:30] + str((int(code[30]) + 1) % 10) + code[31:]
        assert not febraban.is_valid_barcode(broken)
        bad_linha = linha.replace("63571", "63572", 1)
        with pytest.raises(ValueError, match="verificador"):
            febraban.barcode_from_linha(bad_linha)

    def test_general_check_digit_rule_for_0_10_11(self) -> None:
        # Search a body whose mod 11 gives 0, 10 or 11: the digit must then be 1.
        for n in range(2000):
            body = f"341{n:040d}"
            total = sum(int(ch) * (2 + i % 8) for i, ch in enumerate(reversed(body)))
            if 11 - total % 11 in (0, 10, 11):
                assert febraban.mod11_general(body) == 1
                return
        pytest.fail("no such body found")

    def test_issued_barcode_is_consistent(self) -> None:
        free = febraban.itau_free_field("109", "12345678", "1500", "12345")
        n = febraban.numbers("341", date(2026, 12, 5), 123456, free)
        assert len(n.barcode) == 44
        assert len(n.linha_digitavel) == 47
        assert n.barcode[:4] == "3419"
        assert n.barcode[9:19] == "0000123456"
        assert n.barcode[19:] == free
        assert febraban.barcode_from_linha(n.linha_formatada) == n.barcode


class TestDueFactor:
    def test_first_cycle_published_limits(self) -> None:
        # FEBRABAN "Manual Operacional do Fator de Vencimento" (2012): 1000 = 03/07/2000, 9999 = 21/02/2025.
        assert febraban.due_factor(date(2000, 7, 3)) == 1000
        assert febraban.due_factor(date(2012, 4, 27)) == 5316
        assert febraban.due_factor(date(2025, 2, 21)) == 9999

    def test_restarts_at_1000_on_2025_02_22(self) -> None:
        # FEBRABAN's 2025 decision: from 22/02/2025 the factor restarts at 1000 and counts on.
        assert febraban.due_factor(date(2025, 2, 22)) == 1000
        assert febraban.due_factor(date(2025, 2, 23)) == 1001
        assert febraban.due_factor(date(2026, 1, 1)) == 1313
        assert febraban.due_factor(date(2026, 12, 5)) == 1651

    def test_factor_back_to_date_needs_a_reference(self) -> None:
        assert febraban.factor_to_date(1000, date(2025, 3, 1)) == date(2025, 2, 22)
        assert febraban.factor_to_date(1000, date(2000, 8, 1)) == date(2000, 7, 3)
        assert febraban.factor_to_date(8196, date(2020, 1, 1)) == date(2020, 3, 16)


class TestPix:
    # BCB "Manual de Padrões para Iniciação do Pix", static BR Code example (Fulano de Tal, Brasília).
    BCB_EXAMPLE = (
        "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
        "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
    )

    def test_published_payload_verifies(self) -> None:
        assert pix.verify(self.BCB_EXAMPLE)
        assert not pix.verify(self.BCB_EXAMPLE[:-1] + "E")

    def test_crc_is_ccitt_false(self) -> None:
        assert pix.crc16_ccitt_false(b"123456789") == 0x29B1  # the catalogued check value

    def test_our_payload(self) -> None:
        code = pix.br_code(
            key="11222333000181",
            amount=Decimal("1234.5"),
            name="Certo Recuperadora de Créditos Ltda",
            city="São Paulo",
            txid="CB-0001/02",
        )
        assert pix.verify(code)
        fields = pix.parse(code)
        assert fields["00"] == "01"
        assert fields["26"].startswith("0014br.gov.bcb.pix0114")
        assert fields["52"] == "0000"
        assert fields["53"] == "986"
        assert fields["54"] == "1234.50"
        assert fields["58"] == "BR"
        assert fields["59"] == "CERTO RECUPERADORA DE CRE"
        assert len(fields["59"]) <= 25
        assert fields["60"] == "SAO PAULO"
        assert fields["62"] == "0508CB000102"
        assert code.isascii()
