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

_TAIL_BITS = 74  # rand_a (12 bits) and rand_b (62 bits): after the timestamp, held as one number
_SEED_BITS = _TAIL_BITS - 1  # a fresh millisecond starts in the lower half: room to count up
_B_BITS = 62
_B_MASK = (1 << _B_BITS) - 1
_A_MASK = (1 << 12) - 1
_VERSION = 7 << 76
_VARIANT = 0b10 << 62

_lock = threading.Lock()
_last = 0  # the last id made here, without its version and variant bits


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
        if now > _last >> _TAIL_BITS:
            tail = int.from_bytes(os.urandom(10)) >> (80 - _SEED_BITS)
            _last = (now << _TAIL_BITS) | tail
        else:  # same millisecond, or the clock stepped back: count on (a carry moves the time)
            _last += 1
        value = _last
    ms, a, b = value >> _TAIL_BITS, (value >> _B_BITS) & _A_MASK, value & _B_MASK
    return "%032x" % ((ms << 80) | _VERSION | (a << 64) | _VARIANT | b)
