"""Debtors: lookups, creation, updates and the contact log. No HTTP here."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from certokit.errors import Conflict, Invalid, NotFound
from certokit.money import from_cents, to_cents
from certokit.phones import phone_key
from mock_crm.debtors.models import ContactLog, Debt, Debtor
from mock_crm.debtors.repository import ContactSummary, DebtorReader, DebtorRepository, DebtorView, DebtView
from mock_crm.debtors.schemas import (
    Address,
    ContactCreate,
    ContactEntry,
    DebtInfo,
    DebtorCreate,
    DebtorInfo,
    DebtorUpdate,
    NegotiationParams,
    Page,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
PRESCRIPTION_DAYS = 5 * 365 + 1  # CDC art. 206 §5º I: five years for most consumer debts

KIND_LABELS = {
    "cartao_credito": "Fatura do cartão de crédito",
    "emprestimo_pessoal": "Empréstimo pessoal",
    "conta_luz": "Conta de luz",
    "crediario": "Crediário",
    "mensalidade_escolar": "Mensalidade escolar",
    "outro": "Dívida",
}


def today_sp() -> date:
    return datetime.now(SAO_PAULO).date()


class DebtorNotFound(NotFound):
    detail = "Devedor não encontrado para este CPF."


class NoDebtorAtPhone(DebtorNotFound):
    detail = "Nenhum devedor cadastrado com este telefone."


class DebtorExists(Conflict):
    detail = "Já existe um devedor com este CPF."


class InvalidCpf(Invalid):
    detail = "CPF inválido: informe 11 dígitos com dígitos verificadores corretos."


class InvalidPhone(Invalid):
    detail = "Telefone inválido: informe um celular brasileiro, como +5511987654321 ou 5511987654321."


class OneLookupKey(Invalid):
    detail = "Informe o CPF ou o telefone do devedor (um dos dois)."


def primary_debt(debtor: Debtor) -> Debt:
    """The debt a conversation is about: the oldest open one, else the latest of any status."""
    open_debts = [d for d in debtor.debts if d.status == "open"]
    if open_debts:
        return min(open_debts, key=lambda d: (d.due_date, d.id))
    return max(debtor.debts, key=lambda d: d.id)


def _primary_view(debts: list[DebtView]) -> DebtView:
    """`primary_debt`'s choice among a lookup's plain debts."""
    open_debts = [d for d in debts if d.status == "open"]
    if open_debts:
        return min(open_debts, key=lambda d: (d.due_date, d.id))
    return max(debts, key=lambda d: d.id)


def view_of(debtor: Debtor, contacts: ContactSummary) -> DebtorView:
    """An ORM debtor (just created or updated in this transaction) as the lookups read one."""
    return DebtorView(
        id=debtor.id,
        public_id=debtor.public_id,
        cpf=debtor.cpf,
        name=debtor.name,
        phone=debtor.phone,
        email=debtor.email,
        street=debtor.street,
        number=debtor.number,
        complement=debtor.complement,
        district=debtor.district,
        city=debtor.city,
        state=debtor.state,
        cep=debtor.cep,
        opted_out=debtor.opted_out,
        debts=[
            DebtView(
                id=d.id,
                kind=d.kind,
                description=d.description,
                contract_number=d.contract_number,
                original_creditor=d.original_creditor,
                amount_cents=d.amount_cents,
                due_date=d.due_date,
                status=d.status,
                max_discount_percentage=d.max_discount_percentage,
                min_payment_cents=d.min_payment_cents,
                max_installments=d.max_installments,
            )
            for d in debtor.debts
        ],
        contacts=contacts,
    )


def _params(debt: DebtView) -> NegotiationParams:
    return NegotiationParams(
        max_discount_percentage=debt.max_discount_percentage,
        min_payment_amount=from_cents(debt.min_payment_cents),
        max_installments=debt.max_installments,
    )


def _debt_info(debt: DebtView, today: date) -> DebtInfo:
    return DebtInfo(
        id=debt.id,
        kind=debt.kind,
        description=debt.description,
        contract_number=debt.contract_number,
        original_creditor=debt.original_creditor,
        amount=from_cents(debt.amount_cents),
        due_date=debt.due_date,
        days_past_due=max(0, (today - debt.due_date).days),
        status=debt.status,
        negotiation_params=_params(debt),
    )


def address_of(debtor: Debtor | DebtorView) -> Address | None:
    """The debtor's address, when the CRM knows all of it (a partial one prints nothing useful)."""
    if not (debtor.street and debtor.district and debtor.city and debtor.state and debtor.cep):
        return None
    return Address.model_validate(
        {
            "street": debtor.street,
            "number": debtor.number or "S/N",
            "complement": debtor.complement,
            "district": debtor.district,
            "city": debtor.city,
            "uf": debtor.state,
            "cep": debtor.cep,
        }
    )


def set_address(debtor: Debtor, address: Address | None) -> None:
    """Stores an address, or clears it (None); city and UF live in their own columns too."""
    debtor.street = address.street if address else None
    debtor.number = address.number if address else None
    debtor.complement = address.complement if address else None
    debtor.district = address.district if address else None
    debtor.city = address.city if address else None
    debtor.state = address.uf if address else None
    debtor.cep = address.cep if address else None


def to_info(debtor: DebtorView, today: date | None = None) -> DebtorInfo:
    today = today or today_sp()
    contacts = debtor.contacts
    debt = _primary_view(debtor.debts)
    dpd = max(0, (today - debt.due_date).days)
    return DebtorInfo(
        id=debtor.public_id,
        cpf=debtor.cpf,
        name=debtor.name,
        phone=debtor.phone,
        email=debtor.email,
        address=address_of(debtor),
        debt_amount=from_cents(debt.amount_cents),
        due_date=debt.due_date,
        days_past_due=dpd,
        previous_contacts=contacts.count,
        negotiation_params=_params(debt),
        debt_kind=debt.kind,
        debt_description=debt.description,
        original_creditor=debt.original_creditor,
        debt_status=debt.status,
        prescribed=dpd > PRESCRIPTION_DAYS,
        opted_out=debtor.opted_out,
        last_contact_at=contacts.last_at,
        promised_payment_date=contacts.promised_date,
        follow_up_date=contacts.follow_up_date,
        debts=[_debt_info(d, today) for d in debtor.debts],
    )


class DebtorLookups:
    """The read-only answers (by CPF, by opaque id, by phone, a page): one Core statement each on an
    autocommit connection (`DebtorReader`), the same DebtorInfo as from the ORM."""

    def __init__(self, reader: DebtorReader) -> None:
        self.reader = reader

    async def get(self, cpf: str) -> DebtorInfo:
        found = await self.reader.by_cpf(cpf)
        if found is None:
            raise DebtorNotFound()
        return to_info(found)

    async def by_public_id(self, public_id: str) -> DebtorInfo:
        found = await self.reader.by_public_id(public_id)
        if found is None:
            raise DebtorNotFound()
        return to_info(found)

    async def by_phone(self, phone: str) -> DebtorInfo:
        """The debtor registered at `phone` (with or without the ninth digit): the bot's every "oi"."""
        key = phone_key(phone)
        if key is None:
            raise InvalidPhone()
        found = await self.reader.by_phone(key)
        if found is None:
            raise NoDebtorAtPhone()
        return to_info(found)

    async def search(
        self,
        *,
        phone: str | None,
        page: int,
        page_size: int,
        min_days_past_due: int | None = None,
        max_days_past_due: int | None = None,
        min_amount_cents: int | None = None,
        max_amount_cents: int | None = None,
    ) -> Page[DebtorInfo]:
        key = None
        if phone is not None:
            key = phone_key(phone)
            if key is None:
                raise InvalidPhone()
        today = today_sp()
        due_before = date.fromordinal(today.toordinal() - min_days_past_due) if min_days_past_due else None
        due_after = date.fromordinal(today.toordinal() - max_days_past_due) if max_days_past_due is not None else None
        rows, total = await self.reader.page(
            phone_key=key,
            offset=(page - 1) * page_size,
            limit=page_size,
            due_before=due_before,
            due_after=due_after,
            min_cents=min_amount_cents,
            max_cents=max_amount_cents,
        )
        return Page(items=[to_info(d, today) for d in rows], total=total, page=page, page_size=page_size)


class DebtorService:
    def __init__(self, repo: DebtorRepository) -> None:
        self.repo = repo

    async def info(self, debtor: Debtor) -> DebtorInfo:
        """A debtor this request wrote (created, updated), as a lookup would answer it."""
        contacts = await self.repo.contact_summaries([debtor.id])
        return to_info(view_of(debtor, contacts[debtor.id]))

    async def get(self, cpf: str) -> Debtor:
        debtor = await self.repo.by_cpf(cpf)
        if debtor is None:
            raise DebtorNotFound()
        return debtor

    async def by_public_id(self, public_id: str) -> Debtor:
        debtor = await self.repo.by_public_id(public_id)
        if debtor is None:
            raise DebtorNotFound()
        return debtor

    async def create(self, data: DebtorCreate) -> Debtor:
        if await self.repo.by_cpf(data.cpf) is not None:
            raise DebtorExists()
        p = data.negotiation_params
        debtor = Debtor(
            cpf=data.cpf,
            name=data.name,
            phone=data.phone,
            phone_key=phone_key(data.phone) or "",
            email=data.email,
            debts=[
                Debt(
                    kind=data.debt_kind,
                    description=data.debt_description or KIND_LABELS[data.debt_kind],
                    contract_number=f"CT{data.cpf[:6]}{data.due_date:%y%m%d}",
                    original_creditor=data.original_creditor or "Credor original",
                    amount_cents=to_cents(data.debt_amount),
                    due_date=data.due_date,
                    max_discount_percentage=p.max_discount_percentage,
                    min_payment_cents=to_cents(p.min_payment_amount),
                    max_installments=p.max_installments,
                )
            ],
        )
        set_address(debtor, data.address)
        try:
            return await self.repo.add(debtor)
        except IntegrityError:
            # Two creations of one CPF racing: the loser gets the same answer as a late one.
            raise DebtorExists() from None

    async def update(self, debtor: Debtor, data: DebtorUpdate) -> Debtor:
        fields = data.model_dump(exclude_unset=True)
        if fields.get("name") is not None:
            debtor.name = fields["name"]
        if data.phone is not None:
            debtor.phone = data.phone
            debtor.phone_key = phone_key(data.phone) or ""
        if "email" in fields:
            debtor.email = data.email
        if "address" in fields:  # an explicit null clears it
            set_address(debtor, data.address)
        if data.opted_out is not None:
            debtor.opted_out = data.opted_out
        debt = primary_debt(debtor)
        if data.debt_amount is not None:
            debt.amount_cents = to_cents(data.debt_amount)
        if data.due_date is not None:
            debt.due_date = data.due_date
        if data.debt_status is not None:
            debt.status = data.debt_status
        if data.negotiation_params is not None:
            p = data.negotiation_params
            debt.max_discount_percentage = p.max_discount_percentage
            debt.min_payment_cents = to_cents(p.min_payment_amount)
            debt.max_installments = p.max_installments
        await self.repo.session.flush()
        return debtor

    async def log_contact(self, debtor: Debtor, data: ContactCreate) -> ContactEntry:
        if data.kind == "payment_promise" and data.promised_date is None:
            raise Invalid("Informe promised_date (AAAA-MM-DD) para uma promessa de pagamento.")
        if data.kind == "opt_out":
            # LGPD art. 18: the objection is honoured at once, for every channel.
            debtor.opted_out = True
        elif data.kind in ("deceased", "dispute"):
            loaded = await self.repo.with_debts(debtor.id)
            debts = loaded.debts if loaded is not None else []
            if data.kind == "deceased":
                # No collection from the family, and no more messages to that phone.
                debtor.opted_out = True
            if debts:
                # A dispute suspends collection of the debt until it is answered.
                primary_debt(loaded).status = "deceased" if data.kind == "deceased" else "disputed"  # type: ignore[arg-type]
        entry = await self.repo.add_contact(
            ContactLog(
                debtor_id=debtor.id,
                kind=data.kind,
                channel=data.channel,
                session_id=data.session_id,
                promised_date=data.promised_date,
                notes=data.notes,
            )
        )
        return ContactEntry.model_validate(entry, from_attributes=True)

    async def contacts(self, debtor: Debtor) -> list[ContactEntry]:
        return [ContactEntry.model_validate(c, from_attributes=True) for c in await self.repo.contacts(debtor.id)]
