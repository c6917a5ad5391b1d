"""The protocol every streaming change detector follows, and its bookkeeping.

A detector keeps its hyperparameters under their constructor names and all of its
state in a few numpy arrays (``self._state``), set up by :meth:`DriftDetector.reset`.
One sequential kernel per detector consumes a block of values and writes, for each
element, a code: bit 1 set when a change was detected there, bit 0 when the detector
was in its warning zone. ``update(x)`` and ``update_many(values)`` both go through
that kernel, so they agree by construction and state carries over between calls.
Flags follow River: ``drift_detected`` tells what the last element did, and the next
element first resets the detector when it is set.

State is plain arrays, so :meth:`DriftDetector.to_dict` is JSON-safe (non-finite
floats become the strings ``"inf"``, ``"-inf"``, ``"nan"``) and
:meth:`DriftDetector.from_dict` continues a stream exactly where it stopped.
"""

from __future__ import annotations

import inspect
import math
import numbers
from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from modelsteward.errors import InputError, ParameterError

__all__ = ["DriftDetector", "as_stream", "detector_classes"]

FloatArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.int8]
IndexArray = npt.NDArray[np.int64]

DRIFT = 0  # index of the drift flag in state["sc"]
WARNING = 1  # index of the warning flag in state["sc"]

_REGISTRY: dict[str, type[DriftDetector]] = {}

D = TypeVar("D", bound="DriftDetector")

_DOMAIN_TEXT = {
    "binary": "0/1 values (1 = error, 0 = correct)",
    "unit": "values in [0, 1] (1 = error, 0 = correct)",
}


def detector_classes() -> dict[str, type[DriftDetector]]:
    """Every concrete detector class, by name."""
    return dict(_REGISTRY)


def _describe(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value!r} ({type(value).__name__})"


def as_stream(values: Any, *, domain: str = "real", owner: str = "detector") -> FloatArray:
    """Check a block of stream values and return it as a float64 array.

    Raises :class:`InputError` naming the first bad position: non-numeric, NaN or
    infinite values, and for binary detectors anything outside their domain.

    >>> as_stream([0, 1, 2.5])
    array([0. , 1. , 2.5])
    >>> as_stream([1.0, float("nan")])
    Traceback (most recent call last):
    ...
    modelsteward.errors.InputError: value at index 1 is NaN; detectors need finite numbers
    """
    try:
        arr = np.asarray(values)
        if arr.dtype.kind in "USaV" and not isinstance(values, np.ndarray):
            arr = np.asarray(values, dtype=object)  # keep each element's own type
    except (ValueError, TypeError) as exc:
        raise InputError(f"{owner} needs a one-dimensional sequence of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise InputError(
            f"{owner} needs a one-dimensional sequence of numbers, got an array of shape "
            f"{arr.shape}"
        )
    if arr.dtype.kind in "biuf":
        x = arr.astype(np.float64, copy=False)
    else:
        x = np.empty(arr.shape[0], dtype=np.float64)
        for i, v in enumerate(arr.tolist()):
            if isinstance(v, bool | numbers.Real) and not isinstance(v, str | bytes):
                x[i] = float(v)
            else:
                raise InputError(
                    f"value at index {i} is {_describe(v)}; detectors need finite numbers"
                )
    finite = np.isfinite(x)
    if not finite.all():
        i = int(np.argmin(finite))
        what = "NaN" if math.isnan(x[i]) else ("inf" if x[i] > 0 else "-inf")
        raise InputError(f"value at index {i} is {what}; detectors need finite numbers")
    if domain == "binary":
        bad = (x != 0.0) & (x != 1.0)
    elif domain == "unit":
        bad = (x < 0.0) | (x > 1.0)
    else:
        return x
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"value at index {i} is {float(x[i])!r}; {owner} takes {_DOMAIN_TEXT[domain]}"
        )
    return x


def _encode_float(v: float) -> float | str:
    if math.isfinite(v):
        return v
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def _decode_float(v: float | str) -> float:
    return float(v)


def _json_value(value: Any) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return _encode_float(float(value))
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_value(v) for v in list(value)]
    raise TypeError(f"cannot serialise parameter value {value!r}")


class DriftDetector(ABC):
    """Base class of the streaming change detectors (River's protocol, plus blocks).

    Subclasses store their keyword arguments unchanged, call ``super().__init__()``
    last, and implement ``_initial_state`` and ``_scan``.
    """

    #: Whether the method has a warning zone (``warning_detected``).
    _has_warning: ClassVar[bool] = False
    #: Accepted values: "real", "binary" (0/1) or "unit" ([0, 1]).
    _domain: ClassVar[str] = "real"
    #: The parameter that controls sensitivity, and +1 if larger means fewer alarms
    #: (-1 if smaller means fewer); used by :func:`calibrate`.
    _sensitivity: ClassVar[tuple[str, int]] = ("", 1)

    #: Set by :func:`~modelsteward.detectors.calibrate` on the detector it returns: the
    #: parameter it set, the value, and the size of the simulation. None otherwise.
    calibration_: dict[str, Any] | None = None

    _state: dict[str, np.ndarray[Any, Any]]
    _one: tuple[FloatArray, CodeArray]  # reusable buffers for update()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not inspect.isabstract(cls) and not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls

    def __init__(self) -> None:
        self._check_params()
        self.reset()

    # -- hooks ---------------------------------------------------------------------
    def _check_params(self) -> None:  # noqa: B027 - optional hook
        """Raise :class:`ParameterError` for out-of-range hyperparameters."""

    @abstractmethod
    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        """Fresh state arrays; ``state["sc"][0]`` is the drift flag, ``[1]`` the warning flag."""

    @abstractmethod
    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        """Consume ``x`` in order, updating ``self._state`` and writing per-element codes."""

    # -- protocol ------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, by constructor name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def reset(self) -> None:
        """Forget everything seen so far; the detector is as freshly constructed."""
        self._state = self._initial_state()

    @property
    def drift_detected(self) -> bool:
        """Whether a change was detected at the last element."""
        return bool(self._state["sc"][DRIFT])

    def _scan_checked(self, x: FloatArray) -> CodeArray:
        codes = np.zeros(x.shape[0], dtype=np.int8)
        if x.shape[0]:
            self._scan(x, codes)
        return codes

    def update(self: D, x: float) -> D:
        """Feed one value; returns the detector (check ``drift_detected`` afterwards).

        One call of the compiled kernel, a few microseconds: for throughput feed
        blocks to :meth:`update_many`.
        """
        if isinstance(x, str | bytes) or not isinstance(x, numbers.Real | np.bool_ | bool):
            raise InputError(f"value {_describe(x)} is not a number; detectors need finite numbers")
        v = float(x)
        if not math.isfinite(v):
            what = "NaN" if math.isnan(v) else ("inf" if v > 0 else "-inf")
            raise InputError(f"value is {what}; detectors need finite numbers")
        domain = self._domain
        if (domain == "binary" and v != 0.0 and v != 1.0) or (
            domain == "unit" and not 0.0 <= v <= 1.0
        ):
            as_stream(np.array([v]), domain=domain, owner=type(self).__name__)  # raises
        one = self.__dict__.get("_one")
        if one is None:
            one = self._one = (np.zeros(1), np.zeros(1, dtype=np.int8))
        one[0][0] = v
        self._scan(one[0], one[1])
        return self

    def update_many(self, values: Any) -> IndexArray:
        """Feed a block of values in order; the indices (within ``values``) of detections.

        Equal to calling :meth:`update` on each element in turn. The whole block is
        checked first: on bad input nothing is consumed.
        """
        x = as_stream(values, domain=self._domain, owner=type(self).__name__)
        codes = self._scan_checked(x)
        return np.flatnonzero(codes & 2).astype(np.int64)

    def scan(self, values: Any) -> tuple[IndexArray, IndexArray]:
        """Like :meth:`update_many`, also returning where a warning zone was entered.

        Returns ``(drift_indices, warning_indices)``; a warning index is an element
        whose ``warning_detected`` is true while the previous element's was not.
        """
        was_warning = bool(self._state["sc"][WARNING])
        x = as_stream(values, domain=self._domain, owner=type(self).__name__)
        codes = self._scan_checked(x)
        warn = (codes & 1).astype(bool)
        prev = np.concatenate(([was_warning], warn[:-1])) if warn.size else warn
        entered = np.flatnonzero(warn & ~prev).astype(np.int64)
        return np.flatnonzero(codes & 2).astype(np.int64), entered

    # -- copies, display, serialisation -----------------------------------------
    def clone(self: D, **params: Any) -> D:
        """A fresh detector with the same hyperparameters (overridden by ``params``)."""
        kwargs = self.get_params()
        unknown = set(params) - set(kwargs)
        if unknown:
            raise ParameterError(
                f"{type(self).__name__} has no parameter {sorted(unknown)[0]!r}; "
                f"its parameters are {', '.join(kwargs)}"
            )
        kwargs.update(params)
        return type(self)(**kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def to_dict(self) -> dict[str, Any]:
        """Hyperparameters and state as JSON-safe data; see :meth:`from_dict`."""
        state = {
            name: {
                "dtype": str(arr.dtype),
                "shape": list(arr.shape),
                "data": [_json_value(v) for v in arr.ravel().tolist()],
            }
            for name, arr in self._state.items()
        }
        params = {k: _json_value(v) for k, v in self.get_params().items()}
        return {"detector": type(self).__name__, "params": params, "state": state}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftDetector:
        """Rebuild a detector written by :meth:`to_dict`; it continues the stream exactly."""
        try:
            name = data["detector"]
            target = _REGISTRY[name]
        except (KeyError, TypeError) as exc:
            raise InputError(f"not a serialised detector: {exc}") from exc
        if cls is not DriftDetector and target is not cls:
            raise InputError(f"serialised detector is a {name}, not a {cls.__name__}")
        params = dict(data.get("params", {}))
        det = target(**params)
        fresh = det._initial_state()
        state = data.get("state", {})
        if set(state) != set(fresh):
            raise InputError(
                f"serialised {name} state has keys {sorted(state)}, expected {sorted(fresh)}"
            )
        for key, ref in fresh.items():
            try:
                item = state[key]
                arr = np.array([_decode_float(v) for v in item["data"]], dtype=np.float64)
                arr = arr.astype(ref.dtype).reshape(item["shape"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"serialised {name} state {key!r} is malformed: {exc}") from exc
            if arr.shape != ref.shape:
                raise InputError(
                    f"serialised {name} state {key!r} has shape {arr.shape}, expected {ref.shape}"
                )
            fresh[key] = arr
        det._state = fresh
        return det


def check_positive(
    owner: object, name: str, value: Any, *, integer: bool = False, allow_zero: bool = False
) -> None:
    """Raise :class:`ParameterError` unless ``value`` is a positive (int) number."""
    kind = "an integer" if integer else "a number"
    ok = isinstance(value, numbers.Integral if integer else numbers.Real) and not isinstance(
        value, bool
    )
    if ok:
        ok = math.isfinite(float(value)) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        rng = "[0, inf)" if allow_zero else "(0, inf)"
        raise ParameterError(
            f"The {name!r} parameter of {type(owner).__name__} must be {kind} in {rng}. "
            f"Got {value!r} instead."
        )


def check_open_unit(owner: object, name: str, value: Any, *, closed: bool = False) -> None:
    """Raise :class:`ParameterError` unless ``value`` is in (0, 1) (or [0, 1] when closed)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = (0.0 <= v <= 1.0) if closed else (0.0 < v < 1.0)
    if not ok:
        rng = "[0, 1]" if closed else "(0, 1)"
        raise ParameterError(
            f"The {name!r} parameter of {type(owner).__name__} must be a float in {rng}. "
            f"Got {value!r} instead."
        )
