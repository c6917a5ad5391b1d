"""The one exception hierarchy of modelsteward.

Every error that user input can cause is a :class:`StewardError`. The CLI prints
``error: <message>`` and exits 2; the API answers 4xx with the same message.
Messages say what was wrong, where (file, column, row) and what to do.

::

    StewardError
     ├── InputError                 bad data handed to us
     │    ├── DataReadError         a file or object cannot be read (missing, empty,
     │    │                         truncated, wrong extension, bad encoding)
     │    └── SchemaError           columns or types do not fit what is asked
     ├── ParameterError             a bad argument value (also a ValueError)
     ├── NotFittedError             an estimator used before ``fit``
     └── MissingExtraError          an optional dependency is not installed

Packages that own a failure add subclasses next to their code, each under one of the
classes above: ``modelsteward.store`` (NotFoundError → 404, ConflictError → 409,
AuthError → 401, ForbiddenError → 403, BatchError(InputError) → 422, AuditChainError),
``modelsteward.server`` (PayloadTooLargeError → 413, UnsupportedMediaTypeError → 415),
``modelsteward.registry`` (ArtifactError, UntrustedArtifactError, SchemaMismatchError),
``modelsteward.retrain`` (RetrainError, TrainingFailed, TrainingDataError) and
``modelsteward.rollout`` (FeatureError → 422, RolloutStateError, NoLinkServedError).

>>> from modelsteward.errors import ParameterError, StewardError
>>> issubclass(ParameterError, StewardError) and issubclass(ParameterError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "DataReadError",
    "InputError",
    "MissingExtraError",
    "NotFittedError",
    "ParameterError",
    "SchemaError",
    "StewardError",
]


class StewardError(Exception):
    """Root of every error modelsteward raises on purpose."""


class InputError(StewardError, ValueError):
    """The data handed to modelsteward is unusable as it is."""


class DataReadError(InputError):
    """A file, buffer or in-memory object could not be read as a table."""


class SchemaError(InputError):
    """Columns, kinds or types do not fit what the operation needs."""


class ParameterError(StewardError, ValueError):
    """An argument has a value outside what the function accepts."""


class NotFittedError(StewardError, RuntimeError):
    """An estimator was used before ``fit``; call ``fit`` with reference data first."""


class MissingExtraError(StewardError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` that fixes it."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {package!r}; "
            f"install it with: pip install 'modelsteward[{extra}]'"
        )
        self.package = package
        self.extra = extra


def require(module: str, extra: str, feature: str) -> object:
    """Import an optional module or raise :class:`MissingExtraError` naming the extra.

    >>> require("math", "none", "arithmetic").__name__
    'math'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra, feature) from exc
