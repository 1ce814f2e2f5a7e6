"""Domain errors with a status and a Portuguese detail, rendered by one handler for both services."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from certokit.logging import get_logger

log = get_logger("certokit.errors")


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    detail: str = "Requisição inválida."

    def __init__(self, detail: str | None = None) -> None:
        if detail is not None:
            self.detail = detail
        super().__init__(self.detail)


class TryLater(Exception):
    """A turn could not be done now because something it needs is down (the CRM, say).

    The pipeline leaves the message pending and tries again shortly, without counting it as a
    failure: an outage must not turn a debtor's message into a "poison" one that is given up.
    """


class NotFound(DomainError):
    status_code = 404
    detail = "Registro não encontrado."


class Conflict(DomainError):
    status_code = 409
    detail = "Conflito com um registro existente."


class Invalid(DomainError):
    status_code = 422
    detail = "Dados inválidos."


class Unauthorized(DomainError):
    status_code = 401
    detail = "Chave de acesso ausente ou inválida. Envie 'Authorization: Bearer <chave>'."


class ErrorBody(BaseModel):
    detail: str


def error_responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the errors a route may raise; errors sharing a status are all named."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        if err.status_code in out:
            out[err.status_code]["description"] += f" Ou: {err.detail}"
        else:
            out[err.status_code] = {"model": ErrorBody, "description": err.detail}
    return out


_STATUS_PT = {
    400: "Requisição inválida.",
    401: "Não autorizado.",
    403: "Acesso negado.",
    404: "Recurso não encontrado.",
    405: "Método não permitido para esta rota.",
    413: "Corpo da requisição grande demais.",
    415: "Tipo de conteúdo não suportado.",
    429: "Muitas requisições; tente novamente em instantes.",
}

_MSG_PT = {
    "missing": "campo obrigatório",
    "string_too_long": "texto longo demais",
    "string_too_short": "texto curto demais",
    "string_pattern_mismatch": "formato inválido",
    "int_parsing": "deve ser um número inteiro",
    "decimal_parsing": "deve ser um valor numérico",
    "date_from_datetime_parsing": "deve ser uma data AAAA-MM-DD",
    "date_parsing": "deve ser uma data AAAA-MM-DD",
    "datetime_parsing": "deve ser data e hora ISO 8601",
    "datetime_from_date_parsing": "deve ser data e hora ISO 8601",
    "json_invalid": "JSON inválido",
    "model_attributes_type": "deve ser um objeto JSON",
    "dict_type": "deve ser um objeto JSON",
    "list_type": "deve ser uma lista",
    "literal_error": "valor não permitido",
    "enum": "valor não permitido",
    "greater_than": "valor pequeno demais",
    "greater_than_equal": "valor pequeno demais",
    "less_than": "valor grande demais",
    "less_than_equal": "valor grande demais",
    "decimal_max_places": "no máximo duas casas decimais",
    "too_long": "lista longa demais",
    "too_short": "lista curta demais",
    "extra_forbidden": "campo não reconhecido",
    "bool_parsing": "deve ser true ou false",
    "string_type": "deve ser um texto",
    "int_type": "deve ser um número inteiro",
}


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        typ = str(err.get("type", ""))
        msg = str(err.get("msg", ""))
        text = msg.removeprefix("Value error, ") if typ == "value_error" else _MSG_PT.get(typ, "valor inválido")
        parts.append(f"{loc}: {text}" if loc else text)
    return "Dados inválidos — " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        # Postgres or Redis is unreachable (restarting, failing over): nothing was accepted, and a
        # 503 tells Meta and API clients to try again, which they do.
        if isinstance(exc, DBAPIError) and not (
            exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
        ):
            raise exc  # a bug, not an outage: the server error handler logs it
        log.warning("dependency_unavailable", error=type(exc).__name__)
        return JSONResponse(
            {"detail": "Serviço temporariamente indisponível. Tente novamente em instantes."},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    for exc_type in (DBAPIError, RedisConnectionError, RedisTimeoutError, ConnectionError):
        app.add_exception_handler(exc_type, _unavailable)

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, exc: ClientDisconnect) -> Response:
        # The sender hung up before its body arrived: nothing was read or stored, nobody to answer.
        return Response(status_code=499)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code not in _STATUS_PT else None
        return JSONResponse(
            {"detail": detail or _STATUS_PT.get(exc.status_code, "Erro na requisição.")},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
