"""Campaign files as collection teams have them: CSV (comma or semicolon, UTF-8 or Latin-1), XLSX, JSON.

Reading is pure (bytes in, lines out) so the CLI and the API share it. Checking each line against
the CRM happens before anything is sent; the validated list waits in Redis for a day, and a
campaign is created from it by id, so what the supervisor reviewed is exactly what is sent.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any, Literal

from redis.asyncio import Redis

from certobot.campaigns.schemas import LineStatus, UploadLine, UploadReport
from certobot.crm.client import CrmClient
from certokit.cpf import mask_cpf, normalize_cpf
from certokit.errors import Invalid, NotFound

UPLOAD_PREFIX = "certobot:campaign-upload:"
UPLOAD_TTL_SECONDS = 24 * 3600
MAX_LINES = 20_000
LOOKUPS_AT_ONCE = 8

Format = Literal["csv", "xlsx", "json"]
CPF_HEADERS = ("cpf", "cpf/cnpj", "documento", "doc", "cpf_devedor")

REASONS: dict[LineStatus, str] = {
    "ok": "Pronto para envio.",
    "invalid_cpf": "CPF inválido.",
    "unknown_debtor": "Devedor não encontrado no CRM.",
    "opted_out": "Pediu para não ser contatado.",
    "prescribed": "Dívida prescrita: não pode ser cobrada.",
    "paid": "Dívida já paga.",
    "duplicated": "CPF repetido no arquivo.",
}


class UploadInvalid(Invalid):
    detail = "Arquivo ilegível."


class UploadNotFound(NotFound):
    detail = "Envio não encontrado ou expirado: envie o arquivo de novo."


@dataclass(frozen=True)
class RawLine:
    line: int  # as the person sees it: line 1 is the header in a CSV, row 1 in Excel
    value: str  # the CPF cell, as written


def detect_format(filename: str, content: bytes) -> Format:
    name = filename.lower()
    if content.startswith(b"PK") or name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".json") or content.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM) first; Excel in Brazil saves Latin-1 (cp1252), so that next."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _cpf_column(header: list[str]) -> int | None:
    cells = [c.strip().lower() for c in header]
    for name in CPF_HEADERS:
        if name in cells:
            return cells.index(name)
    for i, c in enumerate(cells):
        if "cpf" in c:
            return i
    return None


def _from_rows(rows: list[list[str]]) -> list[RawLine]:
    """The `cpf` column when a header names one, else the first column; a header line is skipped."""
    if not rows:
        return []
    col = _cpf_column(rows[0])
    has_header = col is not None or (bool(rows[0]) and not any(ch.isdigit() for ch in rows[0][0]))
    col = col or 0
    out: list[RawLine] = []
    for n, row in enumerate(rows, start=1):
        if has_header and n == 1:
            continue
        if not any(c.strip() for c in row):
            continue  # blank lines Excel leaves at the end
        out.append(RawLine(n, row[col].strip() if len(row) > col else ""))
    return out


def read_csv(content: bytes) -> list[RawLine]:
    text = decode_text(content)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") or ("," not in first and ";" in text) else ","
    return _from_rows(list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))


def _cell(value: object) -> str:
    # Excel turns a CPF typed as a number into an int and drops its leading zeros.
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:011d}" if value < 10**11 else str(value)
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):011d}"
    return "" if value is None else str(value)


def read_xlsx(content: bytes) -> list[RawLine]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UploadInvalid("Planilha XLSX ilegível: salve de novo no Excel e tente outra vez.") from exc
    try:
        sheet = wb.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        wb.close()
    return _from_rows(rows)


def read_json(content: bytes) -> list[RawLine]:
    try:
        data: Any = json.loads(decode_text(content))
    except ValueError as exc:
        raise UploadInvalid("JSON inválido.") from exc
    if isinstance(data, dict):
        data = data.get("debtors", data.get("devedores", data.get("cpfs")))
    if not isinstance(data, list):
        raise UploadInvalid("O JSON deve ser uma lista de CPFs ou de devedores com o campo cpf.")
    out: list[RawLine] = []
    for n, item in enumerate(data, start=1):
        if isinstance(item, dict):
            keys = {str(k).lower(): v for k, v in item.items()}
            value = next((keys[k] for k in CPF_HEADERS if k in keys), "")
            out.append(RawLine(n, _cell(value).strip()))
        else:
            out.append(RawLine(n, _cell(item).strip()))
    return out


def read_upload(filename: str, content: bytes) -> tuple[Format, list[RawLine]]:
    fmt = detect_format(filename, content)
    lines = {"csv": read_csv, "xlsx": read_xlsx, "json": read_json}[fmt](content)
    if not lines:
        raise UploadInvalid("O arquivo não tem nenhuma linha com CPF.")
    if len(lines) > MAX_LINES:
        raise UploadInvalid(f"No máximo {MAX_LINES} linhas por arquivo: divida em partes.")
    return fmt, lines


async def validate(crm: CrmClient, lines: list[RawLine]) -> list[tuple[UploadLine, str | None]]:
    """Each line with its verdict; the CPF goes along only for lines that may be sent."""
    seen: set[str] = set()
    firsts: list[tuple[RawLine, str]] = []
    verdicts: dict[int, tuple[LineStatus, str | None, str | None]] = {}  # line -> (status, cpf, name)
    for raw in lines:
        cpf = normalize_cpf(raw.value)
        if cpf is None:
            verdicts[raw.line] = ("invalid_cpf", None, None)
        elif cpf in seen:
            verdicts[raw.line] = ("duplicated", cpf, None)
        else:
            seen.add(cpf)
            firsts.append((raw, cpf))
    gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

    async def look(raw: RawLine, cpf: str) -> None:
        async with gate:
            debtor = await crm.get_debtor(cpf)
        if debtor is None:
            verdicts[raw.line] = ("unknown_debtor", cpf, None)
        elif debtor.opted_out:
            verdicts[raw.line] = ("opted_out", cpf, debtor.name)
        elif debtor.prescribed:
            verdicts[raw.line] = ("prescribed", cpf, debtor.name)
        elif debtor.debt_status == "paid":
            verdicts[raw.line] = ("paid", cpf, debtor.name)
        else:
            verdicts[raw.line] = ("ok", cpf, debtor.name)

    await asyncio.gather(*(look(raw, cpf) for raw, cpf in firsts))
    out: list[tuple[UploadLine, str | None]] = []
    for raw in lines:
        status, cpf, name = verdicts[raw.line]
        masked = mask_cpf(cpf) if cpf else (raw.value[:3] + "…" if raw.value else "")
        out.append(
            (
                UploadLine(line=raw.line, cpf=masked, name=name, status=status, reason=REASONS[status]),
                cpf if status == "ok" else None,
            )
        )
    return out


async def check_upload(redis: Redis, crm: CrmClient, filename: str, content: bytes) -> UploadReport:
    fmt, lines = read_upload(filename, content)
    checked = await validate(crm, lines)
    cpfs = [cpf for _, cpf in checked if cpf is not None]
    report = UploadReport(
        id=str(uuid.uuid4()),
        filename=filename[:200],
        format=fmt,
        total=len(checked),
        valid=len(cpfs),
        invalid=len(checked) - len(cpfs),
        lines=[line for line, _ in checked],
    )
    await redis.set(
        UPLOAD_PREFIX + report.id,
        json.dumps({"filename": report.filename, "cpfs": cpfs}),
        ex=UPLOAD_TTL_SECONDS,
    )
    return report


async def validated_cpfs(redis: Redis, upload_id: str) -> tuple[str, list[str]]:
    raw = await redis.get(UPLOAD_PREFIX + upload_id)
    if raw is None:
        raise UploadNotFound()
    data = json.loads(raw)
    return str(data["filename"]), list(data["cpfs"])
