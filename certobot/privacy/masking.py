"""What an operator's screen shows of a debtor: never the whole CPF, wherever it sits in a record."""

from __future__ import annotations

from typing import Any

from certokit.cpf import mask_cpf
from certokit.logging import scrub

CPF_KEYS = frozenset({"cpf", "debtor_cpf"})


def mask_record(value: Any) -> Any:
    """A copy of a JSON document with every CPF field masked and every string scrubbed."""
    if isinstance(value, dict):
        return {
            k: (mask_cpf(str(v)) if k in CPF_KEYS and isinstance(v, str) and v else mask_record(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_record(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value
