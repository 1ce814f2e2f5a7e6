"""Bearer-key checks shared by both services' APIs."""

from __future__ import annotations

import hmac

from pydantic import SecretStr

from certokit.errors import Unauthorized


def check_bearer(authorization: str | None, expected: SecretStr | None) -> None:
    if expected is None:
        raise Unauthorized("API de operadores desativada: defina CERTOBOT_API_KEY para usá-la.")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    if not hmac.compare_digest(token.strip().encode(), expected.get_secret_value().encode()):
        raise Unauthorized("Chave de acesso inválida.")
