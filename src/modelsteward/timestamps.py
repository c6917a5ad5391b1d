"""The range of times modelsteward stores: 1970-01-01 to 9998-12-31, UTC.

A time past it (``9999-12-31T23:59:59-14:00`` is year 10000 in UTC) or before it would
make date arithmetic on stored windows overflow, so every ingest path refuses it: the
store itself, the HTTP API's body validation and the SDK before it sends. Kept outside
the layered packages, with no dependency, so that all three can share it.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["EARLIEST", "LATEST", "RANGE_TEXT", "storable"]

#: The first storable time.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
#: The first time past the range.
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
#: The range, as error messages state it.
RANGE_TEXT = "1970-01-01 to 9998-12-31 UTC"


def storable(value: datetime) -> bool:
    """Whether ``value`` (naive meaning UTC) lies in the storable range.

    >>> storable(datetime(2026, 11, 29)), storable(datetime(1969, 12, 31, tzinfo=UTC))
    (True, False)
    """
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return EARLIEST <= aware < LATEST
    except OverflowError:  # a UTC offset past year 1 or 9999
        return False
