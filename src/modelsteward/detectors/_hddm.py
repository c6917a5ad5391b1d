"""What HDDM_A and HDDM_W share: their confidences, the optional two-sided test, a warning
zone, and a kernel over the state vector ``sc`` (0 drift, 1 warning, then its own slots)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from modelsteward.detectors._base import CodeArray, DriftDetector, FloatArray, check_open_unit
from modelsteward.detectors._compile import pick

__all__ = ["HDDM"]


class HDDM(DriftDetector):
    """Base of the Hoeffding's-bound detectors; see :class:`HDDM_A` and :class:`HDDM_W`.

    A subclass gives its kernel, called as ``kernel(x, codes, sc, drift_confidence,
    warning_confidence, two_sided, *kernel_args)``, and its initial state.
    """

    _has_warning = True
    _domain = "unit"
    _sensitivity = ("drift_confidence", -1)

    def __init__(
        self,
        drift_confidence: float = 0.001,
        warning_confidence: float = 0.005,
        two_sided_test: bool = False,
    ) -> None:
        self.drift_confidence = drift_confidence
        self.warning_confidence = warning_confidence
        self.two_sided_test = two_sided_test
        super().__init__()

    def _check_params(self) -> None:
        check_open_unit(self, "drift_confidence", self.drift_confidence)
        check_open_unit(self, "warning_confidence", self.warning_confidence)

    @property
    def warning_detected(self) -> bool:
        """Whether the last element put the detector in its warning zone."""
        return bool(self._state["sc"][1])

    @abstractmethod
    def _kernel(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        """The kernel and the arguments it takes after ``two_sided``."""

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        kernel, extra = self._kernel()
        pick(kernel)(
            x,
            codes,
            self._state["sc"],
            float(self.drift_confidence),
            float(self.warning_confidence),
            bool(self.two_sided_test),
            *extra,
        )
