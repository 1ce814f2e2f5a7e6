"""FEBRABAN "ficha de compensação" numbers: the 44-digit barcode and the 47-digit linha digitável.

Barcode: bank (3) · currency 9 · general check digit · due-date factor (4) · value in cents (10) ·
free field (25, bank-specific). The factor counts days from 1997-10-07; it reached 9999 on
2025-02-21 and restarted at 1000 on 2025-02-22 (next restart 2049-10-13), so a factor names a
date only together with a reference date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

BASE_DATE = date(1997, 10, 7)
FACTOR_CYCLE = 9000  # 1000..9999


def mod10(digits: str) -> int:
    """Weights 2,1,2,1… from the right; the digits of each product are added."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        p = int(ch) * (2 if i % 2 == 0 else 1)
        total += p // 10 + p % 10
    return (10 - total % 10) % 10


def mod11_general(digits43: str) -> int:
    """The barcode's general check digit: weights 2..9 from the right; 0, 10 and 11 become 1."""
    total = sum(int(ch) * (2 + i % 8) for i, ch in enumerate(reversed(digits43)))
    dv = 11 - total % 11
    return 1 if dv in (0, 10, 11) else dv


def bank_dv(bank: str) -> str:
    """The digit printed after the bank code in the slip's header (341-7, 001-9, 237-2, 104-0):
    mod 11 over the three digits, weights 2..4 from the right; 10 and 11 become 0."""
    total = sum(int(ch) * (2 + i) for i, ch in enumerate(reversed(bank)))
    dv = 11 - total % 11
    return "0" if dv >= 10 else str(dv)


def due_factor(due: date) -> int:
    days = (due - BASE_DATE).days
    if days < 1000:
        raise ValueError("vencimento anterior a 03/07/2000 não tem fator")
    return (days - 1000) % FACTOR_CYCLE + 1000


def factor_to_date(factor: int, reference: date) -> date:
    """The date of `factor` nearest to `reference` (the cycle repeats every 9000 days)."""
    first = BASE_DATE + timedelta(days=factor)
    candidates = [first + timedelta(days=FACTOR_CYCLE * k) for k in range(0, 6)]
    return min(candidates, key=lambda d: abs((d - reference).days))


def itau_free_field(carteira: str, nosso_numero: str, agency: str, account: str) -> str:
    """Itaú (341), carteiras 109/112/...: carteira · nosso número · DAC · agência · conta · DAC · 000."""
    nn = nosso_numero.zfill(8)
    dac_nn = mod10(agency + account + carteira + nn)
    dac_account = mod10(agency + account)
    field = f"{carteira}{nn}{dac_nn}{agency}{account.zfill(5)}{dac_account}000"
    assert len(field) == 25, field
    return field


def barcode(bank: str, due: date, amount_cents: int, free_field: str) -> str:
    if not (re.fullmatch(r"\d{3}", bank) and re.fullmatch(r"\d{25}", free_field)):
        raise ValueError("banco com 3 dígitos e campo livre com 25")
    if not 0 < amount_cents < 10**10:
        raise ValueError("valor fora do intervalo do boleto")
    body = f"{bank}9{due_factor(due):04d}{amount_cents:010d}{free_field}"
    return body[:4] + str(mod11_general(body)) + body[4:]


def linha_digitavel(code: str) -> str:
    """47 digits from the 44 of the barcode."""
    if not is_valid_barcode(code):
        raise ValueError("código de barras inválido")
    free = code[19:44]
    f1 = code[0:4] + free[0:5]
    f2 = free[5:15]
    f3 = free[15:25]
    return f"{f1}{mod10(f1)}{f2}{mod10(f2)}{f3}{mod10(f3)}{code[4]}{code[5:19]}"


def barcode_from_linha(linha: str) -> str:
    d = re.sub(r"\D", "", linha)
    if len(d) != 47:
        raise ValueError("linha digitável precisa de 47 dígitos")
    for start, end in ((0, 9), (10, 20), (21, 31)):
        if mod10(d[start:end]) != int(d[end]):
            raise ValueError("dígito verificador de campo não confere")
    code = d[0:4] + d[32] + d[33:47] + d[4:9] + d[10:20] + d[21:31]
    if not is_valid_barcode(code):
        raise ValueError("dígito geral não confere")
    return code


def is_valid_barcode(code: str) -> bool:
    return bool(re.fullmatch(r"\d{44}", code)) and mod11_general(code[:4] + code[5:]) == int(code[4])


def format_linha(linha: str) -> str:
    """`AAABC.CCCCX DDDDD.DDDDDY EEEEE.EEEEEZ K UUUUVVVVVVVVVV`, as printed on the slip."""
    d = linha
    return f"{d[0:5]}.{d[5:10]} {d[10:15]}.{d[15:21]} {d[21:26]}.{d[26:32]} {d[32]} {d[33:47]}"


@dataclass(frozen=True)
class BoletoNumbers:
    barcode: str
    linha_digitavel: str
    linha_formatada: str


def numbers(bank: str, due: date, amount_cents: int, free_field: str) -> BoletoNumbers:
    code = barcode(bank, due, amount_cents, free_field)
    linha = linha_digitavel(code)
    return BoletoNumbers(code, linha, format_linha(linha))
