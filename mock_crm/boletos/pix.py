"""PIX "copia e cola" (BR Code, EMV MPM) as the BCB manual specifies, with its CRC16."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"campo {tag} longo demais")
    return f"{tag}{len(value):02d}{value}"


def ascii_upper(text: str, limit: int) -> str:
    folded = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = re.sub(r"[^A-Za-z0-9 .\-]", "", plain).strip().upper()
    return plain[:limit].strip()


def txid_from(reference: str) -> str:
    txid = re.sub(r"[^A-Za-z0-9]", "", reference)[:25]
    return txid or "***"


def br_code(*, key: str, amount: Decimal, name: str, city: str, txid: str, description: str | None = None) -> str:
    account = _tlv("00", "br.gov.bcb.pix") + _tlv("01", key)
    if description:
        account += _tlv("02", ascii_upper(description, 40))
    payload = (
        _tlv("00", "01")
        + _tlv("01", "12")  # dynamic-use QR: one payment (BCB: 11 reusable, 12 single use)
        + _tlv("26", account)
        + _tlv("52", "0000")
        + _tlv("53", "986")
        + _tlv("54", f"{amount:.2f}")
        + _tlv("58", "BR")
        + _tlv("59", ascii_upper(name, 25))
        + _tlv("60", ascii_upper(city, 15))
        + _tlv("62", _tlv("05", txid_from(txid)))
        + "6304"
    )
    return payload + f"{crc16_ccitt_false(payload.encode('ascii')):04X}"


def verify(payload: str) -> bool:
    """True when the payload ends in a CRC16 that matches everything before it (`6304` included)."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        return False
    return f"{crc16_ccitt_false(payload[:-4].encode('utf-8')):04X}" == payload[-4:].upper()


def parse(payload: str) -> dict[str, str]:
    """Top-level TLV fields (for tests and checks)."""
    out: dict[str, str] = {}
    i = 0
    while i + 4 <= len(payload):
        tag, size = payload[i : i + 2], int(payload[i + 2 : i + 4])
        out[tag] = payload[i + 4 : i + 4 + size]
        i += 4 + size
    return out
