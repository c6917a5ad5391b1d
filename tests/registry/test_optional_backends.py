"""skops and fsspec code paths, run against small stand-ins (neither package is a dependency)."""

from __future__ import annotations

import pickle
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelsteward.registry import Registry, UntrustedArtifactError


@pytest.fixture
def fake_skops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    untrusted = ["sklearn.linear_model._logistic.LogisticRegression"]
    io = types.ModuleType("skops.io")

    def dump(obj: Any, file: str) -> None:
        Path(file).write_bytes(pickle.dumps(obj))

    def get_untrusted_types(*, file: str) -> list[str]:
        return list(untrusted)

    def load(file: str, trusted: list[str]) -> Any:
        assert set(untrusted) <= set(trusted)
        return pickle.loads(Path(file).read_bytes())

    io.dump = dump  # type: ignore[attr-defined]
    io.get_untrusted_types = get_untrusted_types  # type: ignore[attr-defined]
    io.load = load  # type: ignore[attr-defined]
    package = types.ModuleType("skops")
    package.io = io  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "skops", package)
    monkeypatch.setitem(sys.modules, "skops.io", io)
    return untrusted


def test_skops_is_used_when_installed(
    registry: Registry, fitted: Any, training: pd.DataFrame, fake_skops: list[str]
) -> None:
    v = registry.register("m", fitted, flavor="sklearn")
    assert v.artifact_format == "skops" and v.artifact_uri.endswith("model.skops")
    with pytest.raises(UntrustedArtifactError, match="LogisticRegression"):
        registry.load("m")
    X = training[["temperature", "vibration"]]
    np.testing.assert_array_equal(registry.load("m", trust=True).predict(X), fitted.predict(X))
    fake_skops.clear()  # nothing untrusted: loads without trust
    assert registry.load("m").version.version == "1"


class _LocalFS:
    """The few fsspec filesystem methods the artifact store uses, over a local folder."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def _p(self, path: str) -> Path:
        return self.base / path.removeprefix("mem://").lstrip("/")

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        self._p(path).mkdir(parents=True, exist_ok=exist_ok)

    def put_file(self, local: str, remote: str) -> None:
        shutil.copyfile(local, self._p(remote))

    def exists(self, path: str) -> bool:
        return self._p(path).exists()

    def rm(self, path: str, recursive: bool = False) -> None:
        shutil.rmtree(self._p(path))

    def mv(self, src: str, dst: str, recursive: bool = False) -> None:
        self._p(src).rename(self._p(dst))

    def get_file(self, remote: str, local: str) -> None:
        shutil.copyfile(self._p(remote), local)

    def unstrip_protocol(self, path: str) -> str:
        return f"mem://{path.lstrip('/')}"


def test_fsspec_url_root(
    store: Any, tmp_path: Path, fitted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = _LocalFS(tmp_path / "bucket")
    fake = types.ModuleType("fsspec")
    fake.core = types.SimpleNamespace(  # type: ignore[attr-defined]
        url_to_fs=lambda url: (fs, url.removeprefix("mem://"))
    )
    monkeypatch.setitem(sys.modules, "fsspec", fake)
    registry = Registry(store, artifacts="mem://models")
    v = registry.register("m", fitted, flavor="sklearn")
    assert v.artifact_uri == "mem://models/m/1/model.joblib"
    assert (tmp_path / "bucket" / "models" / "m" / "1" / "model.joblib").is_file()
    assert registry.load("m", trust=True).model.coef_.shape == fitted.coef_.shape


def test_fsspec_missing_is_a_clear_error(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelsteward.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(MissingExtraError, match="pip install fsspec"):
        Registry(store, artifacts="s3://bucket/models")
