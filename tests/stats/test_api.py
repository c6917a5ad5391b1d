from __future__ import annotations

import inspect

import modelsteward.stats as stats

EXPECTED = {
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
}


def test_public_surface() -> None:
    assert set(stats.__all__) == EXPECTED
    public = {name for name in vars(stats) if not name.startswith("_")}
    assert public - {"annotations"} == EXPECTED


def test_every_public_name_has_a_doctest() -> None:
    for name in stats.__all__:
        doc = inspect.getdoc(getattr(stats, name)) or ""
        assert ">>>" in doc, name


def test_result_is_a_named_tuple_pytest_ignores() -> None:
    result = stats.TestResult(0.5, None)
    assert result._fields == ("statistic", "p_value")
    assert result.statistic == 0.5 and result.p_value is None
    assert stats.TestResult.__test__ is False  # type: ignore[attr-defined]
