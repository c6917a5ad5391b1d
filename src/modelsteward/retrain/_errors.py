"""Errors of the retraining loop.

::

    StewardError
     └── RetrainError                  the retraining loop cannot go on
          ├── TrainingFailed           the training function raised, hung or returned
          │                            something unusable (``cause`` says which)
          └── TrainingDataError        too little labeled data, or none left for the gate
                                       (also an InputError)

>>> from modelsteward.errors import StewardError
>>> err = TrainingFailed("timeout", "training took longer than 2 s; it was killed")
>>> isinstance(err, StewardError), err.cause
(True, 'timeout')
"""

from __future__ import annotations

from typing import Literal

from modelsteward.errors import InputError, StewardError

__all__ = ["FailureCause", "RetrainError", "TrainingDataError", "TrainingFailed"]

#: Why a training run failed.
FailureCause = Literal["raised", "timeout", "unusable", "crashed", "bad_entry_point"]


class RetrainError(StewardError):
    """The retraining loop cannot go on."""


class TrainingFailed(RetrainError):
    """A training run produced no usable model.

    ``cause`` is one of ``"raised"`` (the function raised; ``exc_type``, ``exc_message``
    and ``traceback_tail`` tell what), ``"timeout"`` (it ran past its timeout and was
    killed), ``"unusable"`` (what it returned has no ``predict``, or ``predict`` failed or
    gave the wrong number of outputs on a sample of the training data, or it could not be
    saved or loaded), ``"crashed"`` (the worker process died without a result) or
    ``"bad_entry_point"`` (``module:function`` cannot be imported).
    """

    def __init__(
        self,
        cause: FailureCause,
        message: str,
        *,
        exc_type: str | None = None,
        exc_message: str | None = None,
        traceback_tail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.cause: FailureCause = cause
        self.exc_type = exc_type
        self.exc_message = exc_message
        self.traceback_tail = traceback_tail

    def to_dict(self) -> dict[str, str | None]:
        """The failure as JSON data, for the audit log and the run record."""
        return {
            "cause": self.cause,
            "message": str(self),
            "exc_type": self.exc_type,
            "exc_message": self.exc_message,
            "traceback_tail": self.traceback_tail,
        }


class TrainingDataError(RetrainError, InputError):
    """The labeled data cannot give both a training set and a held-out gate set."""
