"""Brazilian mobile numbers as WhatsApp sends them and as the CRM stores them.

WhatsApp accounts made before the ninth digit still arrive as 55 + DDD + 8 digits. Both forms name
the same person, so every lookup goes through `phone_key`, which drops that digit.
"""

from __future__ import annotations

import re

# DDDs in use (Anatel). A number outside these is not a Brazilian mobile.
VALID_DDDS = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        21,
        22,
        24,
        27,
        28,
        31,
        32,
        33,
        34,
        35,
        37,
        38,
        41,
        42,
        43,
        44,
        45,
        46,
        47,
        48,
        49,
        51,
        53,
        54,
        55,
        61,
        62,
        63,
        64,
        65,
        66,
        67,
        68,
        69,
        71,
        73,
        74,
        75,
        77,
        79,
        81,
        82,
        83,
        84,
        85,
        86,
        87,
        88,
        89,
        91,
        92,
        93,
        94,
        95,
        96,
        97,
        98,
        99,
    }
)


_NON_DIGIT = re.compile(r"\D")  # compiled once: called several times a turn, `re`'s cache lookup showed


def digits_only(value: str) -> str:
    return _NON_DIGIT.sub("", value or "")


def to_e164(value: str) -> str | None:
    """`+55DDD9XXXXXXXX` for a Brazilian mobile in any usual writing; None if it is not one."""
    d = digits_only(value)
    if len(d) in (10, 11):
        d = "55" + d
    if not d.startswith("55") or len(d) not in (12, 13):
        return None
    ddd = int(d[2:4])
    if ddd not in VALID_DDDS:
        return None
    local = d[4:]
    if len(local) == 8:
        # Old form without the ninth digit: only mobiles (starting 6-9) get it back.
        if local[0] not in "6789":
            return None
        local = "9" + local
    if local[0] != "9":
        return None
    return f"+55{d[2:4]}{local}"


def phone_key(value: str) -> str | None:
    """The form without the ninth digit: equal for both writings of one mobile."""
    e164 = to_e164(value)
    if e164 is None:
        return None
    return e164[1:5] + e164[6:]


def wa_form(e164: str) -> str:
    """How the Cloud API wants a recipient: digits only."""
    return digits_only(e164)
