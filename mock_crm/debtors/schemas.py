from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from certokit.fields import Cpf, LongText, Money, Percent, Phone, ShortText

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


# The 26 states and the Federal District, as the Correios and the boleto write them.
UFS = (
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA",
    "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
)  # fmt: skip


def _uf(v: str) -> str:
    uf = v.strip().upper()
    if uf not in UFS:
        raise ValueError("UF inválida: use a sigla de um dos 27 estados, por exemplo SP")
    return uf


# "sp" is taken as "SP"; the schema lists the 27 for clients.
Uf = Annotated[str, Field(max_length=4, json_schema_extra={"enum": list(UFS)}), AfterValidator(_uf)]


def _cep(v: str) -> str:
    digits = re.sub(r"[\s.-]", "", v)
    if not re.fullmatch(r"\d{8}", digits):
        raise ValueError("CEP inválido: informe 8 dígitos, por exemplo 01310-100")
    return digits


# Accepted as "01310-100" or "01310100"; kept and returned as the 8 digits.
Cep = Annotated[str, Field(max_length=12), AfterValidator(_cep)]


class Address(BaseModel):
    """Where the debtor lives: printed in the boleto's Pagador box, as banks do."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "street": "Rua das Flores",
                "number": "123",
                "complement": "apto 42",
                "district": "Vila Mariana",
                "city": "São Paulo",
                "uf": "SP",
                "cep": "04101-000",
            }
        },
    )

    street: Annotated[ShortText, Field(min_length=2)]
    number: Annotated[ShortText, Field(min_length=1, max_length=20)] = "S/N"
    complement: Annotated[ShortText, Field(max_length=100)] | None = None
    district: Annotated[ShortText, Field(min_length=2, max_length=100)]
    city: Annotated[ShortText, Field(min_length=2, max_length=100)]
    uf: Uf
    cep: Cep


class NegotiationParams(BaseModel):
    """What the creditor allows: the bot may offer nothing beyond these."""

    max_discount_percentage: Annotated[Percent, Field(le=95)]
    min_payment_amount: Money = Field(description="Menor parcela aceita (R$).")
    max_installments: Annotated[int, Field(ge=1, le=72)]

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"max_discount_percentage": "30.00", "min_payment_amount": "50.00", "max_installments": 12}
        }
    )


DebtKind = Literal["cartao_credito", "emprestimo_pessoal", "conta_luz", "crediario", "mensalidade_escolar", "outro"]


class DebtInfo(BaseModel):
    id: int
    kind: str
    description: str
    contract_number: str
    original_creditor: str
    amount: Money
    due_date: date
    days_past_due: int
    status: str
    negotiation_params: NegotiationParams


class DebtorInfo(BaseModel):
    id: str = Field(description="Identificador opaco do devedor: use-o nos caminhos (`/api/debtors/{id}`), não o CPF.")
    cpf: str
    name: str
    phone: str
    email: str | None = None
    address: Address | None = None
    debt_amount: Money
    due_date: date
    days_past_due: int
    previous_contacts: int
    negotiation_params: NegotiationParams
    debt_kind: str
    debt_description: str
    original_creditor: str
    debt_status: str
    prescribed: bool = Field(description="Mais de 5 anos de atraso: não pode ser cobrada ativamente.")
    opted_out: bool
    last_contact_at: datetime | None = None
    promised_payment_date: date | None = None
    follow_up_date: date | None = Field(
        default=None, description="O devedor pediu para falar depois: nenhum contato ativo antes desta data."
    )
    debts: list[DebtInfo]

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "3f9d2c4b8a1e4f6b9c0d7e5a2b1c8f40",
                "cpf": "11144477735",
                "name": "Maria da Conceição Souza",
                "phone": "+5511987654321",
                "debt_amount": "1250.90",
                "due_date": "2025-03-10",
                "days_past_due": 620,
                "previous_contacts": 1,
                "negotiation_params": {
                    "max_discount_percentage": "30.00",
                    "min_payment_amount": "50.00",
                    "max_installments": 12,
                },
                "debt_kind": "cartao_credito",
                "debt_description": "Fatura do cartão de crédito",
                "original_creditor": "Banco Exemplo S.A.",
                "debt_status": "open",
                "prescribed": False,
                "opted_out": False,
                "debts": [],
            }
        }
    )


class DebtorCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "cpf": "111.444.777-35",
                "name": "José Antônio Pereira",
                "phone": "+5511987654321",
                "debt_amount": "850.00",
                "due_date": "2025-06-15",
                "debt_kind": "crediario",
                "negotiation_params": {
                    "max_discount_percentage": "20.00",
                    "min_payment_amount": "50.00",
                    "max_installments": 10,
                },
            }
        },
    )

    cpf: Cpf
    name: Annotated[ShortText, Field(min_length=2)]
    phone: Phone
    email: ShortText | None = None
    address: Address | None = None
    debt_amount: Annotated[Money, Field(gt=0)]
    due_date: date
    debt_kind: DebtKind = "outro"
    debt_description: ShortText | None = None
    original_creditor: ShortText | None = None
    negotiation_params: NegotiationParams


class DebtorUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"phone": "+5521998765432", "opted_out": False}},
    )

    name: Annotated[ShortText, Field(min_length=2)] | None = None
    phone: Phone | None = None
    email: ShortText | None = None
    address: Address | None = None
    opted_out: bool | None = None
    debt_amount: Annotated[Money, Field(gt=0)] | None = None
    due_date: date | None = None
    debt_status: Literal["open", "agreed", "paid"] | None = None
    negotiation_params: NegotiationParams | None = None


ContactKind = Literal[
    "attempt",
    "opt_out",
    "wrong_number",
    "claimed_payment",
    "payment_promise",
    "handoff",
    "validation_failed",
    "refused",
    "abandoned",
    "dispute",
    "deceased",
    "third_party",
    "legal_threat",
    "follow_up",
    "agreement_cancelled",
]


class ContactCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "kind": "opt_out",
                "session_id": "9b1c4a1e-2f0e-4e55-9f7b-1f2d3c4b5a69",
                "notes": "Pediu para não receber mais mensagens.",
            }
        },
    )

    kind: ContactKind
    channel: Literal["whatsapp", "phone", "email", "sms"] = "whatsapp"
    session_id: Annotated[ShortText, Field(max_length=64)] | None = None
    promised_date: date | None = None
    notes: LongText | None = None


class ContactEntry(BaseModel):
    id: int
    kind: str
    channel: str
    session_id: str | None
    promised_date: date | None
    notes: str | None
    created_at: datetime


class DebtorLookup(BaseModel):
    """A lookup by CPF or by phone in the body, so neither is in the URL (nor in any access log)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"cpf": "111.444.777-35"}, {"phone": "5511987654321"}]},
    )

    cpf: Annotated[str | None, Field(max_length=20, description="CPF com ou sem formatação.")] = None
    phone: Annotated[
        str | None,
        Field(
            max_length=30,
            description="E.164 (`+5511987654321`) ou como o WhatsApp envia (`5511987654321`, "
            "também sem o nono dígito).",
        ),
    ] = None
