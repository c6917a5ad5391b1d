"""Pure numeric drift statistics: two-sample tests, distances and multiple testing.

Everything here is vectorised numpy/scipy with no I/O. Each function returns a
:class:`TestResult` ``(statistic, p_value)`` where ``statistic`` is the method's
own score and ``p_value`` is ``None`` for distances without a test; bad
arguments raise :class:`modelsteward.errors.ParameterError`.

- numeric samples: :func:`ks_test`, :func:`wasserstein_normed`,
  :func:`energy_normed`, :func:`anderson_ksamp`, :func:`cramer_von_mises`,
  :func:`ks_p_value` (the large-sample KS p-value alone, e.g. for sketches),
  :func:`psi_numeric`, :func:`jensenshannon_numeric`, :func:`hellinger_numeric`;
- binning: :func:`quantile_edges`, :func:`histogram_counts`;
- aligned counts (categories, histogram bins, profiles): :func:`psi`,
  :func:`jensenshannon`, :func:`hellinger`, :func:`total_variation`,
  :func:`chi_square`, :func:`z_test_proportions`, :func:`fisher_exact`;
- multiple testing: :func:`holm`, :func:`benjamini_hochberg`;
- ranks: :func:`midranks`, :func:`batch_auc` (rank-sum ROC AUC, row-wise).

scipy is imported inside the functions that need it, never at module level:
``scipy.special`` costs 0.2 s and ``scipy.stats`` 0.7 s to import, which a CLI run or a
server start should not pay before it knows it needs them.

>>> from modelsteward import stats
>>> round(stats.ks_test([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]).statistic, 4)
1.0
"""

from __future__ import annotations

from modelsteward.stats._binned import (
    hellinger,
    hellinger_numeric,
    jensenshannon,
    jensenshannon_numeric,
    psi,
    psi_numeric,
    total_variation,
)
from modelsteward.stats._categorical import chi_square, fisher_exact, z_test_proportions
from modelsteward.stats._histogram import histogram_counts, quantile_edges
from modelsteward.stats._multiple_testing import benjamini_hochberg, holm
from modelsteward.stats._numeric import (
    anderson_ksamp,
    cramer_von_mises,
    energy_normed,
    ks_p_value,
    ks_test,
    wasserstein_normed,
)
from modelsteward.stats._ranks import batch_auc, midranks
from modelsteward.stats._result import TestResult

__all__ = [
    "TestResult",
    "anderson_ksamp",
    "batch_auc",
    "benjamini_hochberg",
    "chi_square",
    "cramer_von_mises",
    "energy_normed",
    "fisher_exact",
    "hellinger",
    "hellinger_numeric",
    "histogram_counts",
    "holm",
    "jensenshannon",
    "jensenshannon_numeric",
    "ks_p_value",
    "ks_test",
    "midranks",
    "psi",
    "psi_numeric",
    "quantile_edges",
    "total_variation",
    "wasserstein_normed",
    "z_test_proportions",
]
