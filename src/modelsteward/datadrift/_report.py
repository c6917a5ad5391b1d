"""The result of a drift comparison and its serialisations (JSON contract of DESIGN.md)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelsteward import _renderers
from modelsteward.errors import InputError

__all__ = ["ColumnDrift", "ColumnQuality", "DriftReport"]


@dataclass
class ColumnQuality:
    """Data-quality facts for one column (both sides)."""

    name: str
    reference_missing_share: float | None = None
    current_missing_share: float | None = None
    new_categories: list[str] = field(default_factory=list)
    new_category_share: float | None = None
    out_of_range_share: float | None = None
    type_mismatch: str | None = None
    constant: str | None = None
    non_finite: dict[str, int] = field(default_factory=lambda: {"reference": 0, "current": 0})
    coerced: str | None = None
    only_in: str | None = None

    @property
    def missing_change(self) -> float | None:
        if self.reference_missing_share is None or self.current_missing_share is None:
            return None
        return self.current_missing_share - self.reference_missing_share

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["missing_change"] = self.missing_change
        return out


@dataclass
class ColumnDrift:
    """The verdict for one column, with the statistics and rule behind it."""

    name: str
    kind: str
    method: str
    score: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    status: str = "ok"
    reason: str | None = None
    p_value_adjusted: float | None = None
    effect_size: float | None = None
    effect_name: str | None = None
    effect_floor: float | None = None
    rule: str | None = None
    approximate: bool = False
    score_error: float | None = None
    distribution: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: _clean(value) for key, value in asdict(self).items()}


@dataclass
class DriftReport:
    """What :func:`modelsteward.drift` returns.

    ``to_dict()`` follows the JSON contract of DESIGN.md; the keys past the contract's
    (``decision_rule``, ``data_quality``, ``multivariate``, ``warnings``, ``sources``) are
    additions.
    """

    reference_rows: int
    current_rows: int
    columns: list[ColumnDrift]
    drift_share_threshold: float
    decision_rule: dict[str, Any] = field(default_factory=dict)
    data_quality: list[ColumnQuality] = field(default_factory=list)
    multivariate: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def compared_columns(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.status == "ok"]

    @property
    def drifted_columns(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.status == "ok" and c.drifted]

    @property
    def drift_share(self) -> float:
        compared = self.compared_columns
        return len(self.drifted_columns) / len(compared) if compared else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.compared_columns) and self.drift_share >= self.drift_share_threshold

    def column(self, name: str) -> ColumnDrift:
        """The verdict for one column by name."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drift_share_threshold": self.drift_share_threshold,
            "columns": [c.to_dict() for c in self.columns],
            "decision_rule": self.decision_rule,
            "data_quality": {
                "columns": [q.to_dict() for q in self.data_quality],
                "warnings": list(self.warnings),
            },
            "multivariate": _clean(self.multivariate),
            "sources": dict(self.sources),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON text (NaN and infinities become ``null``)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_html(self) -> str:
        """The self-contained HTML page (needs the ``report`` extra for charts)."""
        return _renderers.render("drift", self.to_dict())

    def save_html(self, path: str | Path) -> Path:
        """Write the self-contained HTML report to ``path`` and return the path."""
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.to_html(), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{target}: cannot write the report: {exc.strerror}") from exc
        return target

    def _repr_html_(self) -> str:
        return _renderers.render("drift-fragment", self.to_dict())

    def __repr__(self) -> str:
        verdict = "drift" if self.dataset_drift else "no drift"
        return (
            f"<DriftReport {verdict}: {len(self.drifted_columns)} of "
            f"{len(self.compared_columns)} columns drifted "
            f"({self.reference_rows} reference rows, {self.current_rows} current rows)>"
        )


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
