"""The SDK: :class:`Monitor` logs predictions and labels from inside a prediction service.

In-process (local store) or remote (HTTP to ``steward serve``); buffered, retried,
spooled to disk when the receiver is away, and never raising into or blocking the
caller.
"""

from __future__ import annotations

from modelsteward.sdk._monitor import Monitor
from modelsteward.sdk._transport import RejectedError, RetryableError

__all__ = ["Monitor", "RejectedError", "RetryableError"]
