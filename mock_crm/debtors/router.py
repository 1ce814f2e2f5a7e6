from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from certokit.cpf import normalize_cpf
from certokit.errors import Unauthorized, error_responses
from certokit.money import to_cents
from mock_crm.debtors.models import Debtor
from mock_crm.debtors.repository import DebtorReader, DebtorRepository
from mock_crm.debtors.schemas import (
    ContactCreate,
    ContactEntry,
    DebtorCreate,
    DebtorInfo,
    DebtorLookup,
    DebtorUpdate,
    Page,
)
from mock_crm.debtors.service import (
    DebtorExists,
    DebtorLookups,
    DebtorNotFound,
    DebtorService,
    InvalidCpf,
    InvalidPhone,
    NoDebtorAtPhone,
    OneLookupKey,
)
from mock_crm.deps import ApiKey, ReadDep, SessionDep

router = APIRouter(
    prefix="/api/debtors",
    tags=["devedores"],
    dependencies=[ApiKey],
    responses=error_responses(Unauthorized),
)


async def get_service(session: SessionDep) -> DebtorService:
    return DebtorService(DebtorRepository(session))


ServiceDep = Annotated[DebtorService, Depends(get_service)]


async def get_lookups(conn: ReadDep) -> DebtorLookups:
    return DebtorLookups(DebtorReader(conn))


LookupsDep = Annotated[DebtorLookups, Depends(get_lookups)]

DebtorRef = Annotated[
    str,
    Path(
        max_length=40,
        description="O `id` opaco do devedor (preferível: nada pessoal no caminho) ou, por compatibilidade, "
        "o CPF com ou sem formatação.",
        examples=["3f9d2c4b8a1e4f6b9c0d7e5a2b1c8f40"],
    ),
]
_PUBLIC_ID = re.compile(r"[0-9a-f]{32}")


async def current_debtor(cpf: DebtorRef, service: ServiceDep) -> Debtor:
    # An opaque id is 32 hex characters; a CPF is 11 digits (or formatted): they never collide.
    if _PUBLIC_ID.fullmatch(cpf):
        return await service.by_public_id(cpf)
    digits = normalize_cpf(cpf)
    if digits is None:
        raise InvalidCpf()
    return await service.get(digits)


CurrentDebtor = Annotated[Debtor, Depends(current_debtor)]


@router.post(
    "/lookup",
    response_model=DebtorInfo,
    responses=error_responses(DebtorNotFound, NoDebtorAtPhone, InvalidCpf, InvalidPhone, OneLookupKey),
    summary="Devedor por CPF ou por telefone, no corpo (fora da URL e dos logs de acesso)",
)
async def lookup_debtor(data: DebtorLookup, lookups: LookupsDep) -> DebtorInfo:
    if (data.cpf is None) == (data.phone is None):
        raise OneLookupKey()
    if data.phone is not None:
        return await lookups.by_phone(data.phone)
    digits = normalize_cpf(data.cpf or "")
    if digits is None:
        raise InvalidCpf()
    return await lookups.get(digits)


@router.get(
    "/{cpf}",
    response_model=DebtorInfo,
    responses=error_responses(DebtorNotFound, InvalidCpf),
    summary="Devedor pelo id opaco (ou pelo CPF, por compatibilidade)",
)
async def get_debtor(cpf: DebtorRef, lookups: LookupsDep) -> DebtorInfo:
    # As `current_debtor` reads the reference, without loading an ORM instance.
    if _PUBLIC_ID.fullmatch(cpf):
        return await lookups.by_public_id(cpf)
    digits = normalize_cpf(cpf)
    if digits is None:
        raise InvalidCpf()
    return await lookups.get(digits)


@router.get(
    "",
    response_model=Page[DebtorInfo],
    responses=error_responses(InvalidPhone),
    summary="Lista devedores, ou busca por telefone",
)
async def list_debtors(
    lookups: LookupsDep,
    phone: Annotated[
        str | None,
        Query(
            max_length=30,
            description="E.164 (`+5511987654321`) ou como o WhatsApp envia (`5511987654321`, "
            "também sem o nono dígito).",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    min_days_past_due: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    max_days_past_due: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    min_amount: Annotated[Decimal | None, Query(ge=0, le=100_000_000, allow_inf_nan=False)] = None,
    max_amount: Annotated[Decimal | None, Query(ge=0, le=100_000_000, allow_inf_nan=False)] = None,
) -> Page[DebtorInfo]:
    return await lookups.search(
        phone=phone,
        page=page,
        page_size=page_size,
        min_days_past_due=min_days_past_due,
        max_days_past_due=max_days_past_due,
        min_amount_cents=to_cents(min_amount) if min_amount is not None else None,
        max_amount_cents=to_cents(max_amount) if max_amount is not None else None,
    )


@router.post(
    "",
    response_model=DebtorInfo,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(DebtorExists),
    summary="Cadastra um devedor com sua dívida",
)
async def create_debtor(data: DebtorCreate, service: ServiceDep) -> DebtorInfo:
    return await service.info(await service.create(data))


@router.put(
    "/{cpf}",
    response_model=DebtorInfo,
    responses=error_responses(DebtorNotFound, InvalidCpf),
    summary="Atualiza dados do devedor ou da dívida",
)
async def update_debtor(data: DebtorUpdate, debtor: CurrentDebtor, service: ServiceDep) -> DebtorInfo:
    return await service.info(await service.update(debtor, data))


@router.post(
    "/{cpf}/contacts",
    response_model=ContactEntry,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(DebtorNotFound, InvalidCpf),
    summary="Registra um contato (opt-out, número errado, pagamento alegado, promessa, tentativa)",
)
async def add_contact(data: ContactCreate, debtor: CurrentDebtor, service: ServiceDep) -> ContactEntry:
    return await service.log_contact(debtor, data)


@router.get(
    "/{cpf}/contacts",
    response_model=list[ContactEntry],
    responses=error_responses(DebtorNotFound, InvalidCpf),
    summary="Histórico de contatos do devedor",
)
async def list_contacts(debtor: CurrentDebtor, service: ServiceDep) -> list[ContactEntry]:
    return await service.contacts(debtor)
