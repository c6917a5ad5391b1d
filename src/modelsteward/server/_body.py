"""Reading request bodies within the size limit, and telling their formats apart."""

from __future__ import annotations

from enum import Enum

from fastapi import Request

from modelsteward.errors import InputError
from modelsteward.server._errors import PayloadTooLargeError, UnsupportedMediaTypeError

__all__ = ["BodyFormat", "body_format", "read_body"]


class BodyFormat(Enum):
    JSON = "json"
    ARROW = "arrow"
    PARQUET = "parquet"
    CSV = "csv"


_TYPES = {
    "application/json": BodyFormat.JSON,
    "application/vnd.apache.arrow.stream": BodyFormat.ARROW,
    "application/vnd.apache.arrow.file": BodyFormat.ARROW,
    "application/x-arrow": BodyFormat.ARROW,
    "application/vnd.apache.parquet": BodyFormat.PARQUET,
    "application/x-parquet": BodyFormat.PARQUET,
    "text/csv": BodyFormat.CSV,
}


def body_format(request: Request, allowed: tuple[BodyFormat, ...]) -> BodyFormat:
    """The body's format from ``Content-Type``; 415 when it is not one of ``allowed``."""
    raw = request.headers.get("content-type", "")
    media = raw.split(";", 1)[0].strip().lower()
    fmt = _TYPES.get(media)
    if fmt is None or fmt not in allowed:
        names = ", ".join(t for t, f in _TYPES.items() if f in allowed)
        raise UnsupportedMediaTypeError(
            f"Content-Type {raw or '(none)'!r} is not accepted here; send one of: {names}."
        )
    return fmt


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise InputError(f"Content-Length {declared!r} is not a number.") from None
        if size > limit:
            raise PayloadTooLargeError(
                f"The body has {size} bytes; the limit is {limit} (STEWARD_MAX_BODY_BYTES). "
                "Send smaller batches."
            )
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLargeError(
                f"The body is larger than the limit of {limit} bytes (STEWARD_MAX_BODY_BYTES). "
                "Send smaller batches."
            )
        parts.append(chunk)
    return b"".join(parts)
