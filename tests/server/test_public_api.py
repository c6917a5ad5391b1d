"""The curated public surface of the service packages (``__all__``) is what they export."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "modelsteward.store": {
        "TASKS",
        "Alert",
        "AlertRule",
        "ApiKey",
        "AuthError",
        "BatchError",
        "ConflictError",
        "Evaluation",
        "ForbiddenError",
        "IngestResult",
        "LabelRecord",
        "Model",
        "ModelStats",
        "NotFoundError",
        "PredictionRecord",
        "ProfileBucket",
        "Scope",
        "Store",
    },
    "modelsteward.server": {
        "DriftUnavailableError",
        "PayloadTooLargeError",
        "UnsupportedMediaTypeError",
        "create_app",
        "grafana_dashboard",
        "prometheus_rules",
        "status_of",
    },
    "modelsteward.sdk": {"Monitor", "RejectedError", "RetryableError"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_all_is_curated_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    assert set(module.__all__) >= EXPECTED[name]
    for attr in module.__all__:
        assert hasattr(module, attr), attr


def test_service_errors_are_steward_errors() -> None:
    from modelsteward.errors import InputError, StewardError
    from modelsteward.server import (
        DriftUnavailableError,
        PayloadTooLargeError,
        UnsupportedMediaTypeError,
        status_of,
    )
    from modelsteward.store import (
        AuthError,
        BatchError,
        ConflictError,
        ForbiddenError,
        NotFoundError,
    )

    for cls in (
        AuthError,
        BatchError,
        ConflictError,
        ForbiddenError,
        NotFoundError,
        DriftUnavailableError,
        PayloadTooLargeError,
        UnsupportedMediaTypeError,
    ):
        assert issubclass(cls, StewardError)
    assert issubclass(BatchError, InputError) and issubclass(ForbiddenError, AuthError)
    assert [
        status_of(c("x"))
        for c in (
            NotFoundError,
            ConflictError,
            AuthError,
            ForbiddenError,
            PayloadTooLargeError,
            UnsupportedMediaTypeError,
        )
    ] == [404, 409, 401, 403, 413, 415]
    assert status_of(BatchError("x", [])) == 422
