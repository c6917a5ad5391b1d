from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from modelsteward.datadrift import drift
from modelsteward.profiles import profile_table


def _pair(n: int = 50_000) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(5)
    ref = pa.table(
        {
            "x": rng.normal(size=n),
            "same": rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    cur = pa.table(
        {
            "x": rng.normal(0.1, 1, n),
            "same": rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.4, 0.3, 0.3]),
        }
    )
    return ref, cur


def test_profile_vs_profile_agrees_with_the_tables() -> None:
    ref, cur = _pair()
    exact = drift(ref, cur, multivariate=False)
    ref_profile = profile_table(ref)
    from_profiles = drift(ref_profile, profile_table(cur))
    for name in ("x", "same", "c"):
        a, b = exact.column(name), from_profiles.column(name)
        assert a.method == b.method and a.drifted == b.drifted
    x = from_profiles.column("x")
    assert x.approximate and x.score_error is not None
    assert abs(x.score - exact.column("x").score) <= x.score_error
    assert "within ±" in (x.rule or "")
    assert from_profiles.column("c").score == pytest.approx(exact.column("c").score)
    assert from_profiles.multivariate["domain_classifier"]["status"] == "skipped"


def test_table_vs_profile_bins_exactly(tmp_path: Path) -> None:
    ref, cur = _pair(20_000)
    path = profile_table(ref).save(tmp_path / "ref.json")
    report = drift(path, cur, method="psi", multivariate=False)
    x = report.column("x")
    assert x.method == "psi" and x.approximate is False
    # PSI barely sees a 0.1 sd shift: the reason it is not our default for numbers.
    assert 0 < (x.score or 0) < 0.1 and not x.drifted
    default = drift(path, cur, multivariate=False)
    assert default.column("x").drifted and default.column("c").drifted


def test_raw_only_methods_are_skipped_on_profiles() -> None:
    ref, cur = _pair(5_000)
    report = drift(profile_table(ref), profile_table(cur), method="anderson", multivariate=False)
    assert report.column("x").status == "skipped"
    assert "needs raw values" in (report.column("x").reason or "")


def test_profile_quality_facts() -> None:
    ref = pa.table({"c": ["a", "b"] * 50, "x": np.linspace(0, 1, 100)})
    cur = pa.table({"c": ["a", "z"] * 50, "x": np.linspace(0.5, 1.5, 100)})
    report = drift(profile_table(ref), profile_table(cur), multivariate=False)
    quality = {q.name: q for q in report.data_quality}
    assert quality["c"].new_categories == ["z"]
    assert quality["x"].out_of_range_share == pytest.approx(0.5, abs=0.02)
