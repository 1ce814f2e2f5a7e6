"""What production refuses to start with: example or short keys, the sandbox, a webhook anyone can forge.

Plain functions over names and values (no settings import): the settings classes call them from
their validators, so the refusal is the one line `load_settings` prints, naming the variable.
"""

from __future__ import annotations

from pydantic import SecretStr

MIN_SECRET_LENGTH = 32
# Values from .env.example, the README, the test suite and the sandbox: never a real key.
EXAMPLE_MARKERS = (
    "change-me",
    "changeme",
    "example",
    "exemplo",
    "placeholder",
    "dev-crm-key",
    "sandbox",
    "test-",
    "your-",
    "sua-chave",
)


def weak_secret(value: str) -> str | None:
    """Why `value` cannot be a production secret, in Portuguese; None when it may."""
    lowered = value.lower()
    if any(marker in lowered for marker in EXAMPLE_MARKERS):
        return "é um valor de exemplo; gere uma chave aleatória (por exemplo `openssl rand -hex 32`)"
    if len(value) < MIN_SECRET_LENGTH:
        return f"curta demais ({len(value)} caracteres); use pelo menos {MIN_SECRET_LENGTH}"
    return None


def production_refusal(
    *,
    sandbox: bool,
    required: dict[str, SecretStr | None],
    optional: dict[str, SecretStr | None] | None = None,
) -> str | None:
    """The first unsafe setting as `NAME: why`, or None when production may start."""
    for name, secret in {**required, **(optional or {})}.items():
        if secret is None or not secret.get_secret_value():
            continue  # unset: said below, as the sandbox or as missing
        why = weak_secret(secret.get_secret_value())
        if why is not None:
            return f"{name}: {why}"
    if sandbox:
        return (
            "WHATSAPP_ACCESS_TOKEN: o modo sandbox não é permitido em produção; defina WHATSAPP_ACCESS_TOKEN e "
            "WHATSAPP_PHONE_NUMBER_ID"
        )
    for name, secret in required.items():
        if secret is None or not secret.get_secret_value().strip():
            return f"{name}: obrigatório em produção"
    return None
