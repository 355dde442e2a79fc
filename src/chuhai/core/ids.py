"""Record ids: a short type prefix plus a time-ordered random part (ULID-like, Crockford base32).

Ids sort by creation time (good index locality) and cannot be guessed or enumerated.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    millis = int(time.time() * 1000)
    return f"{prefix}_{_base32(millis, 10)}{_base32(secrets.randbits(80), 16)}"
