from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, Sequence, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certokit.db import UtcDateTime, utcnow
from mock_crm.base import CrmBase
from mock_crm.sealed import Sealed, SealedBlob

# Nosso número: one nextval per boleto instead of probing for a free number (Postgres; SQLite, one
# process, takes the highest plus one).
NOSSO_NUMERO_SEQ = Sequence("crm_nosso_numero_seq", metadata=CrmBase.metadata)


class Boleto(CrmBase):
    __tablename__ = "crm_boletos"
    __table_args__ = (UniqueConstraint("agreement_key", "installment", name="uq_crm_boletos_agreement"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("crm_debtors.id", ondelete="CASCADE"), index=True)
    # Hash of the agreement: the same agreement sent twice finds its boletos again.
    agreement_key: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    installment: Mapped[int] = mapped_column(Integer)
    installments: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    nosso_numero: Mapped[str] = mapped_column(String(20), unique=True)
    barcode: Mapped[str] = mapped_column(String(44))
    linha_digitavel: Mapped[str] = mapped_column(String(47))
    pix_copia_e_cola: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="issued")  # issued, sent, paid, cancelled
    # Rendered once when issued; GET /pdf and the WhatsApp delivery read these bytes. Deferred: a
    # list of boletos never loads them.
    # Sealed: the Pagador box prints the whole CPF, as a bank's does.
    pdf: Mapped[bytes | None] = mapped_column(SealedBlob, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BoletoDelivery(CrmBase):
    """Outbox of WhatsApp deliveries: written with the boleto, sent by a worker, survives restarts."""

    __tablename__ = "crm_boleto_deliveries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    boleto_id: Mapped[str] = mapped_column(ForeignKey("crm_boletos.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str] = mapped_column(Sealed)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # The delivering worker's lease while it talks to Meta outside any transaction (see outbox.py).
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The backend of the connection that pass holds: a lease whose backend is gone (the process
    # died) is free at once (certokit.leases).
    locked_by: Mapped[int | None] = mapped_column(Integer)
    media_id: Mapped[str | None] = mapped_column(String(64))
    document_wamid: Mapped[str | None] = mapped_column(String(128))
    pix_wamid: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
