"""X-Hub-Signature-256: HMAC-SHA256 of the raw request bytes with the app secret."""

from __future__ import annotations

import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    # Over the exact bytes received: re-serialised JSON would differ ("João", spacing, key order).
    return hmac.compare_digest(sign(body, secret), header.strip())
