from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from modelsteward.datadrift import drift
from tests.conftest import run_fresh_python


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


def test_permutation_importance_equals_one_sklearn_auc_per_shuffled_feature() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from modelsteward.datadrift._multivariate import _permutation_importance

    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 4))
    y = (x[:, 0] + 0.5 * x[:, 2] + rng.normal(scale=0.5, size=600) > 0).astype(float)
    fitted = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    with ThreadPoolExecutor(max_workers=2) as pool:
        got = _permutation_importance(lambda: fitted, x, y, np.random.default_rng(7), pool, parts=3)
    # The textbook loop: shuffle one feature at a time (same random draws, same order).
    shuffle = np.random.default_rng(7)
    baseline = roc_auc_score(y, fitted.predict_proba(x)[:, 1])
    expected = []
    for j in range(x.shape[1]):
        shuffled = x.copy()
        shuffled[:, j] = shuffle.permutation(x[:, j])
        expected.append(max(baseline - roc_auc_score(y, fitted.predict_proba(shuffled)[:, 1]), 0))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert got[0] > got[2] > max(got[1], got[3])


def test_threads_started_inside_get_one_openmp_thread_too() -> None:
    # OpenMP's thread count is per thread: without the initializer a pool thread would
    # fit with one OpenMP thread per core, however the calling thread is limited.
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    from modelsteward.datadrift._multivariate import _one_thread_per_library

    with _one_thread_per_library() as single_threaded:
        with ThreadPoolExecutor(1) as plain:
            unlimited = plain.submit(_openmp_effective_n_threads).result()
        with ThreadPoolExecutor(1, initializer=single_threaded) as limited:
            assert limited.submit(_openmp_effective_n_threads).result() == 1
        assert _openmp_effective_n_threads() == 1
    assert unlimited == _openmp_effective_n_threads()


def test_without_the_domain_classifier_scikit_learn_is_never_imported(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    for side, rho in (("ref", 0.0), ("cur", 0.9)):
        pq.write_table(_correlated(3000, rho, rng), tmp_path / f"{side}.parquet")
    code = (
        "import json, sys\n"
        "from modelsteward import drift\n"
        f"r = drift({str(tmp_path / 'ref.parquet')!r}, {str(tmp_path / 'cur.parquet')!r}, "
        "domain_classifier=False)\n"
        "views = r.to_dict()['multivariate']\n"
        "print(json.dumps([views['domain_classifier']['status'], "
        "views['pca_reconstruction']['drifted'], 'sklearn' in sys.modules]))\n"
    )
    assert json.loads(run_fresh_python(code)) == ["skipped", True, False]
