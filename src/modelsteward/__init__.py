"""modelsteward: keep machine-learning models healthy in production.

>>> import modelsteward
>>> sorted(modelsteward.__all__)
['DriftReport', 'StewardError', '__version__', 'drift']
"""

# from modelsteward import report as _report
from modelsteward.datadrift import DriftReport, drift, register_html_renderer
from modelsteward.errors import StewardError

__version__ = "0.1.0"
__all__ = ["DriftReport", "StewardError", "__version__", "drift"]

# Rendering sits in a lower layer than the drift engine, so it is plugged in here.
# register_html_renderer(_report.render_drift_html, _report.render_drift_summary_html)
