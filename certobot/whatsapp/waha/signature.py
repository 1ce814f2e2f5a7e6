"""WAHA's webhook signature: `X-Webhook-Hmac` is the hex HMAC-SHA512 of the raw body with the
session's `hmac.key`, and `X-Webhook-Hmac-Algorithm` names the algorithm (`sha512`)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def sign(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def verify(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    given = headers.get("x-webhook-hmac")
    algorithm = (headers.get("x-webhook-hmac-algorithm") or "sha512").strip().lower()
    if not given or algorithm != "sha512":
        return False
    # Over the exact bytes received: re-serialised JSON would differ (accents, spacing, key order).
    return hmac.compare_digest(sign(body, key), given.strip().lower())
