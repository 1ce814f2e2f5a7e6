from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _no_nul(v: str) -> str:
    if "\x00" in v:
        raise ValueError("texto com caractere nulo (\\0) não é aceito")
    return v


# Room for a few phrasings of a long text; each phrasing's own limit is checked by the service.
Body = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_no_nul)]
Key = Annotated[str, StringConstraints(max_length=40, pattern=r"^[a-z0-9_]+$")]
GREETING_EXAMPLE = (
    "Oi! Aqui é a Certa, assistente virtual da {creditor} (CNPJ {cnpj}). Pra sua segurança, me confirma "
    "os 3 primeiros dígitos do seu CPF?\n---\nOlá! Sou a Certa, da {creditor}. Quais são os 3 primeiros "
    "números do seu CPF?"
)


class Placeholder(BaseModel):
    name: str
    description: str


class VersionOut(BaseModel):
    version: int
    body: str
    author: str
    note: str | None
    created_at: datetime


class TemplateOut(BaseModel):
    key: str
    group: str
    label: str
    kind: Literal["text", "whatsapp"] = Field(
        description="`text`: o que o bot escreve (variações separadas por uma linha com `---`); `whatsapp`: o "
        "nome de um modelo aprovado pela Meta, com os parâmetros que o código preenche."
    )
    placeholders: list[Placeholder]
    required: list[str]
    max_length: int
    legal: str | None
    parameters: list[str]
    default: str
    body: str = Field(description="O texto em vigor: a última versão salva, ou o padrão.")
    version: int = Field(description="0 enquanto ninguém editou.")
    updated_by: str | None
    updated_at: datetime | None


class TemplateDetail(TemplateOut):
    versions: list[VersionOut]


class TemplateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"body": GREETING_EXAMPLE, "base_version": 0, "note": "Tom mais direto"}},
    )

    body: Body
    base_version: int | None = Field(
        default=None, ge=0, description="A versão que você editou: se outra pessoa salvou antes, 409."
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_no_nul)] | None = (
        None
    )


class RevertIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"version": 1}})

    version: int = Field(ge=0, description="A versão a restaurar; 0 restaura o texto padrão.")


class PreviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"key": "greeting", "body": GREETING_EXAMPLE}}
    )

    key: Key
    body: Body


class PreviewOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "key": "greeting",
                "kind": "text",
                "variants": [
                    "Oi! Aqui é a Certa, assistente virtual da Certo Recuperadora de Créditos Ltda (CNPJ "
                    "11.222.333/0001-81). Pra sua segurança, me confirma os 3 primeiros dígitos do seu CPF?",
                    "Olá! Sou a Certa, da Certo Recuperadora de Créditos Ltda. Quais são os 3 primeiros números "
                    "do seu CPF?",
                ],
                "template_name": None,
                "parameters": [],
                "sample": {"creditor": "Certo Recuperadora de Créditos Ltda", "name": "Maria"},
            }
        }
    )

    key: str
    kind: Literal["text", "whatsapp"]
    variants: list[str] = Field(description="Cada variação como o devedor leria, com um devedor de exemplo.")
    template_name: str | None = None
    parameters: list[str] = Field(default_factory=list, description="Os parâmetros {{1}}, {{2}}… do modelo aprovado.")
    sample: dict[str, str]
