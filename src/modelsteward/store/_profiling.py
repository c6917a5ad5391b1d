"""Feature profiles at ingest, through :mod:`modelsteward.profiles` when it is installed.

Raw feature rows are never stored: each batch's features become a TableProfile per time
bucket, merged into the stored bucket.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["available", "merge_profiles", "profile_rows"]


def _profiles() -> Any:
    try:
        module = importlib.import_module("modelsteward.profiles")
    except ImportError:
        return None
    if not all(hasattr(module, n) for n in ("TableProfile", "profile_table")):
        return None
    return module


def available() -> bool:
    return _profiles() is not None


def profile_rows(rows: list[dict[str, Any]]) -> str | None:
    """The JSON of a TableProfile of ``rows`` (feature dicts), or ``None`` when unavailable."""
    profiles = _profiles()
    if not rows or profiles is None:
        return None
    import pyarrow as pa

    table = pa.Table.from_pylist(rows)
    return str(profiles.profile_table(table).to_json())


def merge_profiles(a: str, b: str) -> str:
    table_profile = _profiles().TableProfile
    return str(table_profile.from_json(a).merge(table_profile.from_json(b)).to_json())
