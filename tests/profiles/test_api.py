from __future__ import annotations

import modelsteward.profiles as profiles


def test_curated_public_surface() -> None:
    assert profiles.__all__ == [
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
    for name in profiles.__all__:
        assert getattr(profiles, name) is not None
