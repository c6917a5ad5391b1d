"""Time-ordered identifiers for predictions that arrive without one.

A UUIDv7 (RFC 9562) starts with the Unix time in milliseconds, so ids made one after
another sort one after another: a database inserts them at the end of its unique index
instead of on a random page of it (as UUIDv4 ids do). Kept outside the layered
packages, with no dependency, so that the SDK can use it without loading the store.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["uuid7_hex"]

_B_MASK = (1 << 62) - 1  # rand_b, the last 62 bits
_VERSION = 7 << 76
_VARIANT = 0b10 << 62
_CARRY = (1 << 64) - (1 << 62)  # rand_b wrapped into the variant bits: set them back, carry

_lock = threading.Lock()
_last = 0  # the last id made here, as an integer


def _forget() -> None:
    """In a forked child: start from fresh random bits, not from the parent's last id."""
    global _last, _lock
    _last = 0
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget)


def uuid7_hex() -> str:
    """A new UUIDv7 as 32 lowercase hex digits (the shape of ``uuid.uuid4().hex``).

    The first 48 bits are the Unix time in milliseconds, then the version (7), 12 bits,
    the variant (``10``) and 62 bits. The first id of a millisecond takes random bits
    there; later ids in the same millisecond count up from it by one (RFC 9562, 6.2,
    method 2), so ids made by one process always increase, also across threads and
    when the clock steps back.

    >>> import uuid
    >>> a, b = uuid7_hex(), uuid7_hex()
    >>> len(a), a < b, a == a.lower()
    (32, True, True)
    >>> u = uuid.UUID(hex=a)
    >>> u.version, u.variant == uuid.RFC_4122
    (7, True)
    """
    global _last
    now = time.time_ns() // 1_000_000
    with _lock:
        if now > _last >> 80:
            _last = _first_of(now)
        else:  # same millisecond, or the clock stepped back: count on
            _last += 1
            if not _last & _B_MASK:
                _last = _carried(_last)
        value = _last
    return value.to_bytes(16).hex()


def _first_of(ms: int) -> int:
    """The first id of millisecond ``ms``: random bits, but the top bit of rand_a clear,
    which leaves at least 2**73 ids to count up through."""
    bits = int.from_bytes(os.urandom(10))
    rand_a = (bits >> 62) & 0x7FF
    return (ms << 80) | _VERSION | (rand_a << 64) | _VARIANT | (bits & _B_MASK)


def _carried(value: int) -> int:
    """rand_b counted past its 62 bits: carry into rand_a, and when that is full too,
    into the time (the next millisecond, counting from zero)."""
    value += _CARRY
    if (value >> 76) & 0xF != 7:
        value = (((value >> 80) + 1) << 80) | _VERSION | _VARIANT
    return value
