"""Structured JSON logs (structlog) that never carry a CPF, phone or amount in clear."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# A CPF however it is typed (dots, spaces, dashes or none) and Brazilian phones with or without
# +55, with or without the DDD in parentheses: scrubbed from every log line and transcript.
_CPF = re.compile(r"(?<!\d)(?:\d{3}\.?\d{3}\.?\d{3}-?\d{2}|\d{3}\s\d{3}\s\d{3}[\s-]?\d{2})(?!\d)")
_PHONE = re.compile(r"(?<![\d+])(?:\+?55[\s-]?)?\(?[1-9]\d\)?[\s-]?9?\d{4}[\s.-]?\d{4}(?!\d)")
_SENSITIVE_KEYS = {"cpf", "debtor_cpf", "phone", "to", "wa_id", "amount", "debt_amount", "text", "body"}


def scrub(value: str) -> str:
    # CPF first: an 11-digit run may read as both, and the CPF mask keeps none of its digits.
    value = _CPF.sub("***.***.***-**", value)
    return _PHONE.sub(lambda m: "+55*******" + m.group(0)[-4:], value)


def _scrub_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, val in list(event.items()):
        if key in _SENSITIVE_KEYS and val is not None:
            event[key] = "***"
        elif isinstance(val, str):
            event[key] = scrub(val)
    return event


def configure_logging(level: str = "INFO", *, json: bool = True, file: str | None = None) -> None:
    """`file` (LOG_FILE) appends the JSON lines there instead of stderr: CI scans it for personal data."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _scrub_event,
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=(
            structlog.WriteLoggerFactory(file=open(file, "a", encoding="utf-8"))  # noqa: SIM115 (lives with the process)
            if file
            else structlog.PrintLoggerFactory(file=sys.stderr)
        ),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


class ScrubAccessLog(logging.Filter):
    """Uvicorn's access log prints each request line (path and query) as it came; masked here like
    every other log line, so `GET /api/debtors/<cpf>` or `?phone=` leave no CPF or phone behind."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        return True


def scrub_access_log() -> None:
    """Install the mask on uvicorn's access logger (once; each app calls it when it is built)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, ScrubAccessLog) for f in access.filters):
        access.addFilter(ScrubAccessLog())
