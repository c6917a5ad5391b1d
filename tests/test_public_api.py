from __future__ import annotations

import importlib

import pytest

import modelsteward

PACKAGES = ["modelsteward.data", "modelsteward.datadrift", "modelsteward.stats"]


def test_top_level_surface() -> None:
    assert modelsteward.__all__ == ["DriftReport", "StewardError", "__version__", "drift"]
    for name in modelsteward.__all__:
        assert hasattr(modelsteward, name)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, f"{package} has an empty __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name} is exported but missing"
