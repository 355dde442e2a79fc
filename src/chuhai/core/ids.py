"""Record ids: a short type prefix plus a time-ordered random part (ULID-like, Crockford base32).

Ids sort by creation time (good index locality) and cannot be guessed or enumerated.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


_lock = threading.Lock()
_last = (0, 0)


def new_id(prefix: str) -> str:
    """Monotonic within a process (as ULIDs are): two ids made in the same millisecond
    still sort in the order they were made, so rows ordered by (time, id) keep their order."""
    global _last
    with _lock:
        millis = int(time.time() * 1000)
        if millis <= _last[0]:
            millis, random_part = _last[0], (_last[1] + 1) % (1 << 80)
        else:
            random_part = secrets.randbits(79)  # headroom to count up within one millisecond
        _last = (millis, random_part)
    return f"{prefix}_{_base32(millis, 10)}{_base32(random_part, 16)}"
