"""Exceptions of the registry (all :class:`~modelsteward.errors.StewardError`).

::

    StewardError
     ├── InputError
     │    ├── ArtifactError             an artifact cannot be stored, found or loaded
     │    │    └── UntrustedArtifactError   loading it would unpickle without trust=True
     │    └── SchemaError
     │         └── SchemaMismatchError  the candidate's input columns differ from the champion's
     ├── MissingExtraError
     │    └── MissingPackageError       an fsspec URL without fsspec (ONNX without onnxruntime
     │                                 is a MissingExtraError naming modelsteward[onnx])
     ├── ConflictError                  (store) a version label is taken; an alias moved meanwhile
     ├── NotFoundError                  (store) no such model, version or alias
     └── RegistryStateError             (store) e.g. aliasing a rejected version
"""

from __future__ import annotations

from typing import Any

from modelsteward.errors import InputError, MissingExtraError, SchemaError

__all__ = [
    "ArtifactError",
    "MissingPackageError",
    "SchemaMismatchError",
    "UntrustedArtifactError",
]


class ArtifactError(InputError):
    """An artifact cannot be stored, found or loaded; the message says which and why."""


class UntrustedArtifactError(ArtifactError):
    """Loading the artifact would unpickle it, which can run arbitrary code.

    Pass ``trust=True`` (``--trust``) only for files from a source you trust, or save the
    model with skops.
    """


class SchemaMismatchError(SchemaError):
    """A candidate's input schema differs from the champion's.

    ``diff`` is ``{"missing": [...], "extra": [...], "changed": {column: [old, new]}}``.
    """

    def __init__(self, message: str, diff: dict[str, Any]) -> None:
        super().__init__(message)
        self.diff = diff


class MissingPackageError(MissingExtraError):
    """An optional package that no modelsteward extra pulls in is missing."""

    def __init__(self, package: str, feature: str) -> None:
        super(MissingExtraError, self).__init__(
            f"{feature} needs the optional package {package!r}; "
            f"install it with: pip install {package}"
        )
        self.package = package
        self.extra = package
