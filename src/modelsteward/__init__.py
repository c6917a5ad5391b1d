"""modelsteward: keep machine-learning models healthy in production.

``modelsteward.drift`` and ``modelsteward.DriftReport`` are loaded on first use, so that
importing the package (for the SDK or the CLI) does not pay for scipy.

>>> import modelsteward
>>> sorted(modelsteward.__all__)
['DriftReport', 'StewardError', '__version__', 'drift']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelsteward import _renderers
from modelsteward import report as _report
from modelsteward.errors import StewardError

if TYPE_CHECKING:
    from modelsteward.datadrift import DriftReport, drift

__version__ = "0.1.0"
__all__ = ["DriftReport", "StewardError", "__version__", "drift"]

_renderers.register("drift", _report.render_drift_html)
_renderers.register("drift-fragment", _report.render_drift_summary_html)


def __getattr__(name: str) -> Any:
    if name in ("drift", "DriftReport"):
        from modelsteward import datadrift

        return getattr(datadrift, name)
    raise AttributeError(f"module 'modelsteward' has no attribute {name!r}")
