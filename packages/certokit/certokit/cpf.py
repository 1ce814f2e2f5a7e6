"""CPF and CNPJ: normalising, check digits, masking for logs and transcripts."""

from __future__ import annotations

import re

from stdnum.br import cnpj as _cnpj
from stdnum.br import cpf as _cpf

_SEPARATORS = re.compile(r"[\s.\-/]")
_ELEVEN_DIGITS = re.compile(r"\d{11}")


def normalize_cpf(value: str) -> str | None:
    """11 digits if `value` is a CPF with valid check digits, formatted or not; else None."""
    digits = _SEPARATORS.sub("", value or "")
    if not _ELEVEN_DIGITS.fullmatch(digits):
        return None
    # python-stdnum accepts 111.111.111-11 and friends, which the Receita never issues.
    if len(set(digits)) == 1 or not _cpf.is_valid(digits):
        return None
    return digits


def format_cpf(digits: str) -> str:
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def mask_cpf(digits: str) -> str:
    """What logs and operators see: only the last two digits, as banks print it."""
    return f"***.***.***-{digits[-2:]}" if len(digits) == 11 else "***"


def cpf_check_digits(first9: str) -> str:
    """The two check digits (Receita Federal's mod 11, remainder 10 or 11 giving 0)."""
    digits = [int(c) for c in first9]
    for weight_start in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight_start, 1, -1), strict=False))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    return f"{digits[9]}{digits[10]}"


def is_valid_cnpj(value: str) -> bool:
    digits = re.sub(r"\D", "", value or "")
    return len(digits) == 14 and len(set(digits)) > 1 and bool(_cnpj.is_valid(digits))
