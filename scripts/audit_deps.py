"""Audits the locked dependencies (uv.lock) against the advisory databases, and says so when it could not.

uv run python scripts/audit_deps.py

pip-audit asks PyPI's JSON API (per package and version) and, failing that, OSV. Where neither
answers (CI reaches only the package index, whose JSON API may not serve versioned lookups),
pip-audit would print "No known vulnerabilities found" having audited nothing; this script reports
"base de vulnerabilidades inacessível" instead and exits 0, so a machine without internet is not a
red build, unless AUDIT_REQUIRED=1. A vulnerability found is always a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

SOURCES = ("pypi", "osv")


@dataclass
class Verdict:
    audited: int = 0
    skipped: int = 0
    vulnerable: list[str] = field(default_factory=list)
    unreachable: str | None = None  # why the database could not be consulted


def judge(returncode: int, stdout: str, stderr: str) -> Verdict:
    """What one pip-audit run (`-f json`) established."""
    try:
        report: dict[str, Any] = json.loads(stdout)
    except ValueError:
        last = (stderr.strip().splitlines() or ["sem saída"])[-1]
        return Verdict(unreachable=last[:200])
    v = Verdict()
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            v.skipped += 1
            continue
        v.audited += 1
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "sem correção"
            v.vulnerable.append(f"{dep['name']} {dep.get('version', '?')}: {vuln.get('id')} (corrigido em: {fixes})")
    if v.audited == 0 and v.skipped > 0:
        v.unreachable = f"nenhuma das {v.skipped} dependências foi encontrada na base consultada"
    return v


def run(source: str, requirements: str) -> Verdict:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            requirements,
            "--disable-pip",
            "--no-deps",
            "--progress-spinner",
            "off",
            "-s",
            source,
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return judge(proc.returncode, proc.stdout, proc.stderr)


def main() -> int:
    locked = subprocess.run(
        ["uv", "export", "--frozen", "--no-emit-project", "--no-hashes", "--quiet"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(locked)
        requirements = f.name
    reasons = []
    try:
        for source in SOURCES:
            v = run(source, requirements)
            if v.unreachable is None:
                break
            reasons.append(f"{source}: {v.unreachable}")
    finally:
        os.unlink(requirements)
    if v.unreachable is not None:
        print(
            "AVISO: base de vulnerabilidades inacessível — dependências do uv.lock NÃO auditadas ("
            + "; ".join(reasons)
            + ").",
            file=sys.stderr,
        )
        return 1 if os.environ.get("AUDIT_REQUIRED") == "1" else 0
    if v.vulnerable:
        print("Vulnerabilidades conhecidas nas dependências:", file=sys.stderr)
        for line in v.vulnerable:
            print(f"  - {line}", file=sys.stderr)
        return 1
    skipped = f", {v.skipped} não encontradas na base" if v.skipped else ""
    print(f"{v.audited} dependências auditadas ({source}){skipped}: nenhuma vulnerabilidade conhecida.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
