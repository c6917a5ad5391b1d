"""Exceptions of the store (and of the auth it backs), all :class:`StewardError`.

::

    StewardError
     ├── InputError
     │    └── BatchError           rows of a batch are invalid (all-or-nothing; per-row errors)
     ├── NotFoundError            no such model, alert or key (also a LookupError)
     ├── ConflictError            the thing already exists (e.g. a model name)
     └── AuthError                no valid API key (HTTP 401)
          └── ForbiddenError      a valid key without the needed scope (HTTP 403)
"""

from __future__ import annotations

from typing import Any

from modelsteward.errors import InputError, StewardError

__all__ = ["AuthError", "BatchError", "ConflictError", "ForbiddenError", "NotFoundError"]


class NotFoundError(StewardError, LookupError):
    """The named model, alert or key does not exist."""


class ConflictError(StewardError):
    """The object to create exists already."""


class AuthError(StewardError):
    """No valid API key was given."""


class ForbiddenError(AuthError):
    """The API key is valid but lacks the scope the operation needs."""


class BatchError(InputError):
    """Some rows of a batch are invalid; nothing of the batch was stored.

    ``errors`` lists ``{"row": index, "field": name or None, "error": message}``.
    """

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors
