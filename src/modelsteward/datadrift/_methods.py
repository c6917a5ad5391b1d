"""The drift methods by name: what each computes, on which kinds, and its default threshold.

A method either tests (it has a p-value; drift means a small p-value) or measures a
distance (no p-value; drift means a score at or above the threshold).

=====================  ===========================  ==========  =========
name                   applies to                   p-value     default threshold
=====================  ===========================  ==========  =========
``ks``                 numeric                      yes         0.05
``anderson``           numeric                      yes         0.05
``cramer_von_mises``   numeric                      yes         0.05
``wasserstein``        numeric (normed by ref. sd)  no          0.1
``energy``             numeric (scale-free)         no          0.1
``psi``                numeric (binned), categorical no         0.1
``jensenshannon``      numeric (binned), categorical no         0.1
``hellinger``          numeric (binned), categorical no         0.1
``tvd``                categorical                  no          0.1
``chisquare``          categorical                  yes         0.05
``ztest``              categorical, two values      yes         0.05
``fisher``             categorical, two values      yes         0.05
=====================  ===========================  ==========  =========
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from modelsteward import stats
from modelsteward.errors import ParameterError

__all__ = ["METHODS", "Method", "get_method"]

NumericFn = Callable[[np.ndarray, np.ndarray, int], stats.TestResult]
CountsFn = Callable[[np.ndarray, np.ndarray], stats.TestResult]


@dataclass(frozen=True)
class Method:
    """One drift method: how it scores numeric values and/or category counts."""

    name: str
    has_p_value: bool
    default_threshold: float
    numeric: NumericFn | None = None
    counts: CountsFn | None = None
    #: True when the method needs raw values (cannot run on sketches or histograms).
    needs_raw: bool = False

    def applies_to_numeric(self) -> bool:
        return self.numeric is not None

    def applies_to_categories(self) -> bool:
        return self.counts is not None


def _sorted_fn(fn: Callable[..., stats.TestResult]) -> NumericFn:
    def run(reference: np.ndarray, current: np.ndarray, bins: int) -> stats.TestResult:
        return fn(reference, current, assume_sorted=True)

    return run


def _raw_fn(fn: Callable[..., stats.TestResult]) -> NumericFn:
    def run(reference: np.ndarray, current: np.ndarray, bins: int) -> stats.TestResult:
        return fn(reference, current)

    return run


def _binned_fn(counts_fn: CountsFn) -> NumericFn:
    def run(reference: np.ndarray, current: np.ndarray, bins: int) -> stats.TestResult:
        edges = stats.quantile_edges(reference, bins, assume_sorted=True)
        return counts_fn(
            stats.histogram_counts(reference, edges, assume_sorted=True),
            stats.histogram_counts(current, edges, assume_sorted=True),
        )

    return run


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ks", True, 0.05, numeric=_sorted_fn(stats.ks_test)),
        Method("anderson", True, 0.05, numeric=_raw_fn(stats.anderson_ksamp), needs_raw=True),
        Method(
            "cramer_von_mises",
            True,
            0.05,
            numeric=_raw_fn(stats.cramer_von_mises),
            needs_raw=True,
        ),
        Method("wasserstein", False, 0.1, numeric=_sorted_fn(stats.wasserstein_normed)),
        Method("energy", False, 0.1, numeric=_sorted_fn(stats.energy_normed), needs_raw=True),
        Method("psi", False, 0.1, numeric=_binned_fn(stats.psi), counts=stats.psi),
        Method(
            "jensenshannon",
            False,
            0.1,
            numeric=_binned_fn(stats.jensenshannon),
            counts=stats.jensenshannon,
        ),
        Method(
            "hellinger",
            False,
            0.1,
            numeric=_binned_fn(stats.hellinger),
            counts=stats.hellinger,
        ),
        Method("tvd", False, 0.1, counts=stats.total_variation),
        Method("chisquare", True, 0.05, counts=stats.chi_square),
        Method("ztest", True, 0.05, counts=stats.z_test_proportions),
        Method("fisher", True, 0.05, counts=stats.fisher_exact),
    )
}


def get_method(name: str, *, where: str = "method") -> Method:
    """Look a method up by name, with an error that lists the valid names.

    >>> get_method("ks").has_p_value
    True
    >>> get_method("kolmogorov")
    Traceback (most recent call last):
    ...
    modelsteward.errors.ParameterError: Unknown drift method 'kolmogorov' for method; ...
    """
    try:
        return METHODS[name]
    except KeyError:
        names = ", ".join(sorted(METHODS))
        raise ParameterError(
            f"Unknown drift method {name!r} for {where}; expected one of: {names}."
        ) from None
