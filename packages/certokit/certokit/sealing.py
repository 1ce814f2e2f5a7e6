"""CPF, phone and documents encrypted at rest, with keyed hashes for the lookups.

A `Sealer` holds one service's keys: AES-256-GCM data keys named by a key id (the first one seals,
every one opens, so a key can be added, rotated in and retired), and one HMAC-SHA256 key for the
blind index. Columns declare their kind with the types below; the service configures its sealer
from its settings at start, and until then (tests, `./scripts/up`) the fixed development keys apply,
which production refuses.

- `SealedText` / `SealedJson` / `SealedBytes`: stored as `kid:base64(nonce | ciphertext | tag)` (or
  the bytes `kid:` + nonce + ciphertext + tag), a fresh 96-bit nonce each time, the key id as
  associated data. Reading a value without a known key id prefix returns it unchanged: rows written
  before encryption keep working until `rotate-keys` (or the migration) seals them.
- `BlindIndex`: HMAC-SHA256 of the normalised value, 64 hex digits. Equality only. Binding a value
  that is already such a hash leaves it alone, so a key read from one row can query another (and the
  lock and stream names built from it agree with those built from the clear value).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary, String, Text, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import Table
from sqlalchemy.types import TypeDecorator

from certokit.cpf import normalize_cpf
from certokit.phones import phone_key

KEY_BYTES = 32
NONCE_BYTES = 12
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
DEV_KID = "dev"


def dev_key(service: str, purpose: str) -> bytes:
    """The development key of a service: fixed, public, and refused in production."""
    return hashlib.sha256(f"certobot-dev-{service}-{purpose}-key-not-secret".encode()).digest()


class SealingError(ValueError):
    """A ciphertext that no configured key opens (a retired key, a tampered row)."""


def parse_data_keys(raw: str) -> dict[str, bytes]:
    """`kid:base64key,kid2:base64key2` → ordered {kid: 32 bytes}; ValueError in Portuguese when malformed."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep or not KID_RE.match(kid):
            raise ValueError("use `id:chave_base64`, separados por vírgula (id com letras, dígitos, - ou _)")
        try:
            key = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise ValueError(f"a chave {kid} não é base64 válido") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"a chave {kid} tem {len(key)} bytes; use {KEY_BYTES} (`openssl rand -base64 32`)")
        if kid in keys:
            raise ValueError(f"o id {kid} aparece duas vezes")
        keys[kid] = key
    if not keys:
        raise ValueError("informe pelo menos uma chave")
    return keys


def parse_hash_key(raw: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except binascii.Error:
        raise ValueError("não é base64 válido") from None
    if len(key) < KEY_BYTES:
        raise ValueError(f"curta demais ({len(key)} bytes); use {KEY_BYTES} (`openssl rand -base64 32`)")
    return key


@dataclass
class Sealer:
    """One service's keys. Module-level per service; `configure` at start replaces the dev keys."""

    service: str
    keys: dict[str, bytes] = field(default_factory=dict)
    hash_key: bytes = b""

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = {DEV_KID: dev_key(self.service, "data")}
        if not self.hash_key:
            self.hash_key = dev_key(self.service, "hash")

    def __hash__(self) -> int:  # one per service, compared by identity (SQLAlchemy caches the types)
        return id(self)

    def configure(self, keys: Mapping[str, bytes] | None, hash_key: bytes | None) -> None:
        self.keys = dict(keys) if keys else {DEV_KID: dev_key(self.service, "data")}
        self.hash_key = hash_key or dev_key(self.service, "hash")

    @property
    def primary(self) -> str:
        return next(iter(self.keys))

    # --- encryption ----------------------------------------------------------------------------

    def seal_bytes(self, plain: bytes) -> bytes:
        kid = self.primary
        nonce = os.urandom(NONCE_BYTES)
        return kid.encode() + b":" + nonce + AESGCM(self.keys[kid]).encrypt(nonce, plain, kid.encode())

    def open_bytes(self, sealed: bytes) -> bytes:
        kid_raw, sep, _ = sealed[:17].partition(b":")
        kid = kid_raw.decode("ascii", "replace")
        if not sep or kid not in self.keys:
            if sep and KID_RE.match(kid):
                raise SealingError(f"nenhuma chave configurada com o id {kid}")
            return sealed  # written before encryption
        body = sealed[len(kid_raw) + 1 :]
        try:
            return AESGCM(self.keys[kid]).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], kid.encode())
        except InvalidTag:
            raise SealingError(f"dado cifrado com a chave {kid} não confere") from None

    def seal_text(self, plain: str) -> str:
        raw = self.seal_bytes(plain.encode())
        kid, _, body = raw.partition(b":")
        return kid.decode() + ":" + base64.b64encode(body).decode()

    def open_text(self, stored: str) -> str:
        kid, sep, b64 = stored.partition(":")
        if not sep or not KID_RE.match(kid) or len(b64) < 24:
            return stored  # written before encryption (an E.164 phone, 11 CPF digits)
        if kid not in self.keys:
            raise SealingError(f"nenhuma chave configurada com o id {kid}")
        try:
            body = base64.b64decode(b64, validate=True)
        except binascii.Error:
            return stored
        return self.open_bytes(kid.encode() + b":" + body).decode()

    # --- blind index ---------------------------------------------------------------------------

    def blind(self, value: str) -> str:
        """HMAC-SHA256 of `value` as hex; an existing hash passes through unchanged."""
        if HASH_RE.match(value):
            return value
        return hmac.new(self.hash_key, value.encode(), hashlib.sha256).hexdigest()

    def cpf_hash(self, cpf: str) -> str:
        """The index of a CPF in any writing (11 digits after normalising); a hash passes through."""
        if HASH_RE.match(cpf):
            return cpf  # the digits inside a hash are not a CPF: normalising them would hash again
        return self.blind(normalize_cpf(cpf) or "".join(ch for ch in cpf if ch.isdigit()) or cpf)

    def phone_hash(self, phone: str) -> str:
        """The index of a mobile: the form without the ninth digit, so both writings find each other."""
        if HASH_RE.match(phone):
            return phone
        return self.blind(phone_key(phone) or phone)


# --- column types ---------------------------------------------------------------------------------


class SealedText(TypeDecorator[str]):
    """A string encrypted at rest (CPF, phone, WhatsApp id)."""

    impl = Text
    cache_ok = True

    def __init__(self, sealer: Sealer) -> None:
        super().__init__()
        self.sealer = sealer

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else self.sealer.seal_text(value)

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else self.sealer.open_text(value)


class SealedJson(TypeDecorator[Any]):
    """A JSON document encrypted at rest (payloads that carry a phone or a CPF)."""

    impl = Text
    cache_ok = True

    def __init__(self, sealer: Sealer) -> None:
        super().__init__()
        self.sealer = sealer

    def process_bind_param(self, value: Any, dialect: object) -> str | None:
        if value is None:
            return None
        return self.sealer.seal_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: object) -> Any:
        if value is None:
            return None
        return json.loads(self.sealer.open_text(value))


class SealedBytes(TypeDecorator[bytes]):
    """Bytes encrypted at rest (a boleto's PDF, a stored response)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, sealer: Sealer) -> None:
        super().__init__()
        self.sealer = sealer

    def process_bind_param(self, value: bytes | None, dialect: object) -> bytes | None:
        return None if value is None else self.sealer.seal_bytes(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: object) -> bytes | None:
        return None if value is None else self.sealer.open_bytes(bytes(value))


class BlindIndex(TypeDecorator[str]):
    """The keyed hash of a CPF (`kind="cpf"`) or a phone (`kind="phone"`): equality lookups only.

    Both the stored value and every value compared with it go through the hash, so queries keep
    reading `Model.col == cpf`. Reading gives the hash back, never the clear value.
    """

    impl = String(64)
    cache_ok = True

    def __init__(self, sealer: Sealer, kind: str) -> None:
        super().__init__()
        self.sealer = sealer
        self.kind = kind

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        if value is None:
            return None
        if self.kind == "cpf":
            return self.sealer.cpf_hash(value)
        if self.kind == "phone":
            return self.sealer.phone_hash(value)
        return self.sealer.blind(value)


# --- rotation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedTable:
    """What to re-seal in one table: its sealed columns, and hash columns recomputed from a sealed one."""

    table: Table
    sealed: tuple[str, ...]
    # hash column → the sealed column it indexes (recomputed, so a row written in clear gets its hash)
    derived: Mapping[str, str] = field(default_factory=dict)
    # hash-only columns: a value still in clear (before the migration) is hashed, a hash stays
    blind: tuple[str, ...] = ()


def reseal(conn: Connection, plan: Iterable[SealedTable], *, batch: int = 500) -> dict[str, int]:
    """Rewrite every row of `plan` under the sealer's first key; returns rows rewritten per table.

    Row by row in primary-key order, committed by the caller; safe to run again (already current
    rows are written again, harmlessly). Old keys must still be configured to open old rows.
    """
    done: dict[str, int] = {}
    for spec in plan:
        t = spec.table
        pk = list(t.primary_key.columns)
        cols = [t.c[name] for name in (*spec.sealed, *spec.blind)]
        count = 0
        last: Any = None
        while True:
            stmt = select(*pk, *cols).order_by(*pk).limit(batch)
            if last is not None:
                stmt = stmt.where(pk[0] > last)
            rows = conn.execute(stmt).all()
            if not rows:
                break
            for row in rows:
                values: dict[str, Any] = {}
                m = row._mapping
                for name in (*spec.sealed, *spec.blind):
                    values[name] = m[t.c[name]]
                for hash_col, source in spec.derived.items():
                    values[hash_col] = m[t.c[source]]
                conn.execute(update(t).where(pk[0] == m[pk[0]]).values(**values))
                count += 1
            last = rows[-1]._mapping[pk[0]]
        done[t.name] = count
    return done


# --- settings -------------------------------------------------------------------------------------


def check_data_keys(raw: str | None) -> str | None:
    """Field validator body for `DATA_KEYS`: malformed values are refused in every environment."""
    if raw is not None and raw.strip():
        parse_data_keys(raw)
    return raw


def check_hash_key(raw: str | None) -> str | None:
    if raw is not None and raw.strip():
        parse_hash_key(raw)
    return raw


def keys_refusal(service: str, data_keys: str | None, hash_key: str | None) -> str | None:
    """Why production may not start with these keys, as `NAME: why`; None when it may."""
    if not data_keys or not data_keys.strip():
        return "DATA_KEYS: obrigatório em produção (`id:chave_base64`; gere com `openssl rand -base64 32`)"
    keys = parse_data_keys(data_keys)
    if DEV_KID in keys or dev_key(service, "data") in keys.values():
        return "DATA_KEYS: a chave de desenvolvimento não é permitida em produção"
    if not hash_key or not hash_key.strip():
        return "DATA_HASH_KEY: obrigatório em produção (gere com `openssl rand -base64 32`)"
    if parse_hash_key(hash_key) == dev_key(service, "hash"):
        return "DATA_HASH_KEY: a chave de desenvolvimento não é permitida em produção"
    return None


def configure_from(sealer: Sealer, data_keys: str | None, hash_key: str | None) -> None:
    """Point `sealer` at the keys of the settings (unset: the development keys)."""
    keys = parse_data_keys(data_keys) if data_keys and data_keys.strip() else None
    hk = parse_hash_key(hash_key) if hash_key and hash_key.strip() else None
    sealer.configure(keys, hk)


@dataclass(frozen=True)
class Rotated:
    """What a `rotate-keys` command did: the key now sealing, the rows and tables rewritten."""

    kid: str
    rows: int
    tables: int


async def reseal_database(sealer: Sealer, url: str, schema: str, plan: Iterable[SealedTable]) -> Rotated:
    """A service's `rotate-keys`: every sealed row of `plan` rewritten under the newest key, in one
    transaction (a crash leaves the old ciphertexts, which the old keys still open)."""
    from certokit.db import make_engine  # the database plumbing only when a command asks for it

    tables = list(plan)
    engine = make_engine(url, schema=schema)
    try:
        async with engine.begin() as conn:
            done = await conn.run_sync(lambda sync: reseal(sync, tables))
    finally:
        await engine.dispose()
    return Rotated(sealer.primary, sum(done.values()), len(done))
