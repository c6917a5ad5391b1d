from __future__ import annotations

import numpy as np
import pyarrow as pa

from modelsteward.datadrift import drift


def _correlated(n: int, rho: float, rng: np.random.Generator) -> pa.Table:
    a = rng.normal(size=n)
    b = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n)
    c = rng.normal(size=n)
    return pa.table({"a": a, "b": b, "c": c, "k": rng.choice(["p", "q"], n)})


def test_correlation_change_is_caught_only_by_multivariate_views() -> None:
    rng = np.random.default_rng(0)
    ref = _correlated(2500, 0.0, rng)
    cur = _correlated(2500, 0.9, rng)
    report = drift(ref, cur)
    assert report.drifted_columns == []  # the marginals did not move
    multivariate = report.to_dict()["multivariate"]
    classifier = multivariate["domain_classifier"]
    assert classifier["status"] == "ok" and classifier["drifted"] is True
    assert {f["name"] for f in classifier["top_features"][:2]} == {"a", "b"}
    assert multivariate["pca_reconstruction"]["drifted"] is True


def test_no_drift_keeps_both_views_quiet() -> None:
    rng = np.random.default_rng(1)
    report = drift(_correlated(2500, 0.5, rng), _correlated(2500, 0.5, rng))
    multivariate = report.to_dict()["multivariate"]
    assert multivariate["domain_classifier"]["drifted"] is False
    assert 0.4 < multivariate["domain_classifier"]["auc"] < 0.56
    assert multivariate["pca_reconstruction"]["drifted"] is False


def test_too_few_rows_is_skipped_with_reason() -> None:
    ref = pa.table({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    multivariate = drift(ref, ref).to_dict()["multivariate"]
    assert multivariate["domain_classifier"]["status"] == "skipped"
    assert multivariate["pca_reconstruction"]["reason"]
