"""The pure-Python kernels (used without numba) give exactly the compiled results."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from modelsteward import detectors as ms
from modelsteward.detectors import _compile
from modelsteward.testing import all_detectors
from tests.conftest import run_fresh_python
from tests.detectors.streams import binary, real


@pytest.fixture
def pure_python() -> Iterator[None]:
    previous = _compile.use_numba(False)
    try:
        yield
    finally:
        _compile.use_numba(previous)


def _runs(det: ms.DriftDetector) -> list[np.ndarray]:
    n = 2500 if isinstance(det, ms.KSWIN) else 6000
    family = binary if det._domain != "real" else real
    out = []
    for kind in ("abrupt", "none"):
        d = det.clone()
        values = family(kind, n=n, seed=3)
        out.append(d.update_many(values[: n // 2]))
        out.append(d.update_many(values[n // 2 :]))
        out.append(np.array(d.to_dict()["state"]["sc"]["data"], dtype=object))
    return out


@pytest.mark.skipif(not _compile.HAVE_NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("template", all_detectors(), ids=lambda d: type(d).__name__)
def test_fallback_matches_compiled(template: ms.DriftDetector, pure_python: None) -> None:
    assert not _compile.numba_enabled()
    slow = _runs(template)
    _compile.use_numba(True)
    fast = _runs(template)
    for a, b in zip(slow, fast, strict=True):
        assert a.tolist() == b.tolist()


def test_kernels_keep_their_python_original() -> None:
    from modelsteward.detectors._adwin_kernel import adwin_scan as _adwin_kernel

    assert callable(_adwin_kernel.py_func)
    if _compile.numba_enabled():
        assert _compile.pick(_adwin_kernel) is _adwin_kernel


def test_detectors_work_without_numba_installed() -> None:
    """Importing with numba missing falls back to the Python kernels, same answers."""
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np\n"
        "from modelsteward.detectors import ADWIN, KSWIN, _compile\n"
        "assert not _compile.HAVE_NUMBA and not _compile.numba_enabled()\n"
        "x = np.r_[np.zeros(600), np.ones(300)] + np.random.default_rng(0).normal(0, .3, 900)\n"
        "print(ADWIN().update_many(x).tolist(), KSWIN(seed=0).update_many(x).tolist())\n"
    )
    out = run_fresh_python(code)
    x = np.r_[np.zeros(600), np.ones(300)] + np.random.default_rng(0).normal(0, 0.3, 900)
    expected = f"{ms.ADWIN().update_many(x).tolist()} {ms.KSWIN(seed=0).update_many(x).tolist()}"
    assert out == expected
