"""Fails when a log file holds a CPF in clear (11 digits, formatted or not, with valid check digits).

uv run python scripts/scan_logs.py artifacts/test-run.log
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from certokit.cpf import normalize_cpf

CANDIDATE = re.compile(r"(?<![\d.])\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?![\d])")


def scan(path: Path) -> list[tuple[int, str]]:
    hits = []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        for m in CANDIDATE.finditer(line):
            if normalize_cpf(m.group(0)) is not None:
                hits.append((n, m.group(0)[:3] + "…"))
    return hits


def main() -> None:
    path = Path(sys.argv[1])
    if not path.exists():
        print(f"{path}: nenhum log para verificar")
        return
    lines = path.read_text(encoding="utf-8", errors="replace").count("\n")
    hits = scan(path)
    print(f"{path}: {lines} linhas de log, {len(hits)} CPF(s) em claro")
    for n, prefix in hits[:20]:
        print(f"  linha {n}: {prefix}")
    sys.exit(1 if hits else 0)


if __name__ == "__main__":
    main()
