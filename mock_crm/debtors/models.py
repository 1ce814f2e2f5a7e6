from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from certokit.db import UtcDateTime, utcnow
from mock_crm.base import CrmBase
from mock_crm.sealed import CpfHash, PhoneHash, Sealed

# What an erased debtor is called (mock_crm.privacy): such a row is no one to list.
ANONYMOUS_NAME = "Titular anonimizado"


class Debtor(CrmBase):
    __tablename__ = "crm_debtors"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # The debtor's address in URLs: opaque, so a path or an access log never carries a CPF.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid.uuid4().hex)
    # CPF and phone sealed (AES-GCM); lookups go through the keyed hashes.
    cpf: Mapped[str] = mapped_column(Sealed)
    cpf_hash: Mapped[str] = mapped_column(CpfHash, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(Sealed)  # E.164
    # The hash of the mobile without its ninth digit: both writings WhatsApp uses find it.
    phone_key: Mapped[str] = mapped_column(PhoneHash, index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    # The payer's address, printed in the boleto's Pagador box (all optional: a debtor may be known
    # only by name and phone). `state` is the UF, `cep` its 8 digits without the hyphen.
    street: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(20))
    complement: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    cep: Mapped[str | None] = mapped_column(String(8))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    debts: Mapped[list[Debt]] = relationship(
        back_populates="debtor", cascade="all, delete-orphan", order_by="Debt.id", lazy="selectin"
    )
    contacts: Mapped[list[ContactLog]] = relationship(
        back_populates="debtor", cascade="all, delete-orphan", order_by="ContactLog.id", lazy="raise"
    )

    @validates("cpf")
    def _index_cpf(self, _: str, value: str) -> str:
        self.cpf_hash = value  # hashed on the way to the database
        return value


class Debt(CrmBase):
    __tablename__ = "crm_debts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("crm_debtors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(200))
    contract_number: Mapped[str] = mapped_column(String(40))
    original_creditor: Mapped[str] = mapped_column(String(120))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, agreed, paid
    max_discount_percentage: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    min_payment_cents: Mapped[int] = mapped_column(BigInteger)
    max_installments: Mapped[int] = mapped_column(Integer)

    debtor: Mapped[Debtor] = relationship(back_populates="debts", lazy="raise")


class ContactLog(CrmBase):
    __tablename__ = "crm_contact_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("crm_debtors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20), default="whatsapp")
    session_id: Mapped[str | None] = mapped_column(String(64))
    promised_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    debtor: Mapped[Debtor] = relationship(back_populates="contacts", lazy="raise")
