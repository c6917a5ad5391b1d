"""Mergeable column profiles: drift without the raw rows.

A :class:`TableProfile` holds, per column, counts and the summaries its kind needs:
moments, a KLL quantile sketch and a histogram for numbers (datetimes as epoch seconds,
text as lengths), Misra–Gries category counts for categories. Profiles of parts merge
into the profile of the whole (exactly for counts, moments and histograms on the same
edges; within the stated error for sketches), are saved as JSON, and are compared with
:func:`binned_counts`, :func:`approx_ks` and :func:`approx_wasserstein`.

>>> import pyarrow as pa
>>> from modelsteward.profiles import profile_table, approx_ks
>>> ref = profile_table(pa.table({"x": [1.0, 2.0, 3.0, 4.0]}))
>>> cur = profile_table(pa.table({"x": [3.0, 4.0, 5.0, 6.0]}), reference=ref)
>>> approx_ks(ref["x"], cur["x"])
(0.5, 0.0)
"""

from modelsteward.profiles._categories import MisraGries
from modelsteward.profiles._column import ColumnProfile
from modelsteward.profiles._compare import (
    BinnedCounts,
    approx_ks,
    approx_wasserstein,
    binned_counts,
)
from modelsteward.profiles._histogram import Histogram
from modelsteward.profiles._kll import KLLSketch, normalized_rank_error, quantile_edges
from modelsteward.profiles._moments import Moments
from modelsteward.profiles._profile import profile_table
from modelsteward.profiles._table import PROFILE_FORMAT, PROFILE_VERSION, TableProfile

__all__ = [
    "PROFILE_FORMAT",
    "PROFILE_VERSION",
    "BinnedCounts",
    "ColumnProfile",
    "Histogram",
    "KLLSketch",
    "MisraGries",
    "Moments",
    "TableProfile",
    "approx_ks",
    "approx_wasserstein",
    "binned_counts",
    "normalized_rank_error",
    "profile_table",
    "quantile_edges",
]
