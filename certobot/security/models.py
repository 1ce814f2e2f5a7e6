"""Tables of the security package: failed identity checks, locks, and phones that must not be contacted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certobot.base import BotBase
from certobot.sealed import CpfHash, PhoneHash, SubjectHash
from certokit.db import UtcDateTime, utcnow


class IdentityFailure(BotBase):
    """One wrong answer to the CPF challenge, kept across conversations so guesses add up.

    Counted per debtor (the CPF being guessed) and per phone (the one guessing); the digits typed
    are never stored.
    """

    __tablename__ = "identity_failures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Keyed hashes: counting and matching need equality only, never the CPF or phone back.
    debtor_cpf: Mapped[str] = mapped_column(CpfHash, index=True)
    phone_key: Mapped[str] = mapped_column(PhoneHash, index=True)
    conversation_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class IdentityLock(BotBase):
    """Self-service closed for a debtor or a phone until `locked_until` (a person may still help)."""

    __tablename__ = "identity_locks"
    __table_args__ = (UniqueConstraint("subject_kind", "subject"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(5))  # cpf, phone
    subject: Mapped[str] = mapped_column(SubjectHash)  # the CPF's or the phone key's hash
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BlockedPhone(BotBase):
    """A phone someone said is not the debtor's ("número errado"): never contacted about that debtor again."""

    __tablename__ = "blocked_phones"
    __table_args__ = (UniqueConstraint("phone_key", "debtor_cpf"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    phone_key: Mapped[str] = mapped_column(PhoneHash, index=True)
    debtor_cpf: Mapped[str] = mapped_column(CpfHash, index=True)
    reason: Mapped[str] = mapped_column(String(30))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
