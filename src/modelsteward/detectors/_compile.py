"""Optional numba compilation of the sequential detector kernels.

Every kernel is written once, as plain Python over numpy arrays. When numba is
installed (``pip install 'modelsteward[speed]'``) it is compiled with
``@njit(cache=True)``; otherwise the same Python function runs as it is, giving the
same results more slowly. ``STEWARD_NO_NUMBA=1`` or :func:`use_numba` turns the
compiled path off, which the tests use to check that both paths agree.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

__all__ = ["HAVE_NUMBA", "kernel", "numba_enabled", "pick", "use_numba"]

F = TypeVar("F", bound=Callable[..., Any])

_njit: Any
try:  # pragma: no cover - depends on the environment
    from numba import njit as _njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _njit = None
    HAVE_NUMBA = False

_enabled = HAVE_NUMBA and os.environ.get("STEWARD_NO_NUMBA", "") not in ("1", "true", "yes")


def kernel(fn: F) -> F:
    """Compile ``fn`` with numba when available; the Python original stays as ``.py_func``."""
    if _njit is None:  # pragma: no cover
        fn.py_func = fn  # type: ignore[attr-defined,unused-ignore]
        return fn
    # error_model="numpy": x / 0 gives inf or nan, as in River's Rust core, not an error
    compiled: F = _njit(cache=True, nogil=True, error_model="numpy")(fn)
    return compiled


def pick(fn: F) -> F:
    """The compiled kernel when numba is enabled, else its pure-Python original."""
    if _enabled:
        return fn
    py = getattr(fn, "py_func", fn)

    def run(*args: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):  # IEEE results, no warnings
            return py(*args)

    return cast(F, run)


def numba_enabled() -> bool:
    """Whether detectors currently run their numba-compiled kernels."""
    return _enabled


def use_numba(enabled: bool) -> bool:
    """Switch the compiled kernels on or off; returns the previous setting.

    Turning them on without numba installed keeps them off.
    """
    global _enabled
    previous = _enabled
    _enabled = bool(enabled) and HAVE_NUMBA
    return previous
