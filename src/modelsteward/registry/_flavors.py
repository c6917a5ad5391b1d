"""Flavors: how an artifact is saved, checked at registration and loaded.

- ``sklearn``: a fitted estimator (anything with ``predict``). Saved with skops when it is
  installed; otherwise with joblib or pickle, which run code when loaded, so loading one
  needs an explicit ``trust=True``.
- ``onnx``: an ``.onnx`` file, run with onnxruntime (``pip install 'modelsteward[onnx]'``).
- ``callable``: a Python function named by its import path ``module:function``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelsteward.errors import MissingExtraError, ParameterError
from modelsteward.registry._errors import (
    ArtifactError,
    MissingPackageError,
    UntrustedArtifactError,
)

__all__ = ["FLAVORS", "Prepared", "import_callable", "load_artifact", "prepare"]

FLAVORS = ("sklearn", "onnx", "callable")
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


@dataclass
class Prepared:
    """An artifact ready to be stored: a file (or, for ``callable``, an import path)."""

    artifact_format: str
    obj: Any = None
    source: Path | None = None
    filename: str | None = None
    uri: str | None = None
    sha256: str | None = None


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _untrusted(label: str, what: str) -> UntrustedArtifactError:
    return UntrustedArtifactError(
        f"{label} is a {what}; loading it runs whatever code the file contains, so it is "
        "refused without trust=True (--trust). Pass it only for files from a source you "
        "trust, or save the model with skops (pip install skops)."
    )


# -- sklearn -----------------------------------------------------------------------------------
def _prepare_sklearn(artifact: Any, *, trust: bool, workdir: Path) -> Prepared:
    if isinstance(artifact, (str, Path)):
        path = _existing_file(artifact)
        suffix = path.suffix.lower()
        if suffix == ".skops":
            fmt = "skops"
        elif suffix in _PICKLE_SUFFIXES:
            fmt = "pickle"
        else:
            raise ParameterError(
                f"{path}: a scikit-learn artifact must end in .skops, .joblib, .pkl or "
                f".pickle. Got {path.suffix or 'no extension'!r}."
            )
        obj = load_artifact("sklearn", fmt, path, trust=trust, label=str(path))
        return Prepared(fmt, obj=obj, source=path, filename=path.name)
    if not callable(getattr(artifact, "predict", None)):
        raise ParameterError(
            "A scikit-learn artifact must be a fitted estimator (with a predict method) or a "
            f"path to a saved one. Got {type(artifact).__name__}."
        )
    skops_io = _optional("skops.io")
    try:
        if skops_io is not None:
            target = workdir / "model.skops"
            skops_io.dump(artifact, str(target))
            fmt = "skops"
        else:
            joblib = _optional("joblib")
            target = workdir / ("model.joblib" if joblib is not None else "model.pkl")
            if joblib is not None:
                joblib.dump(artifact, target)
            else:
                with target.open("wb") as handle:
                    pickle.dump(artifact, handle, protocol=pickle.HIGHEST_PROTOCOL)
            fmt = "pickle"
    except Exception as exc:
        raise ArtifactError(
            f"cannot save the {type(artifact).__name__} as an artifact: {exc}"
        ) from exc
    return Prepared(fmt, obj=artifact, source=target, filename=target.name)


def _load_sklearn(fmt: str, path: Path, *, trust: bool, label: str) -> Any:
    if fmt == "skops":
        skops_io = _optional("skops.io")
        if skops_io is None:
            raise MissingPackageError("skops", f"Loading {label}")
        untrusted = list(skops_io.get_untrusted_types(file=str(path)))
        if untrusted and not trust:
            raise UntrustedArtifactError(
                f"{label} contains types skops does not trust by default "
                f"({', '.join(untrusted)}); pass trust=True (--trust) if you trust its source."
            )
        return skops_io.load(str(path), trusted=untrusted)
    if not trust:
        raise _untrusted(label, "pickle (joblib) file")
    joblib = _optional("joblib")
    if joblib is not None:
        return joblib.load(path)
    with path.open("rb") as handle:
        return pickle.load(handle)  # trust=True was given explicitly


# -- onnx ----------------------------------------------------------------------------------------
def _onnxruntime(feature: str) -> Any:
    ort = _optional("onnxruntime")
    if ort is None:
        raise MissingExtraError("onnxruntime", "onnx", feature)
    return ort


def _prepare_onnx(artifact: Any, *, trust: bool, workdir: Path) -> Prepared:
    _onnxruntime("An ONNX model")
    if isinstance(artifact, (str, Path)):
        path = _existing_file(artifact)
        if path.suffix.lower() != ".onnx":
            raise ParameterError(f"{path}: an ONNX artifact must be a .onnx file.")
    elif callable(getattr(artifact, "SerializeToString", None)) or isinstance(artifact, bytes):
        path = workdir / "model.onnx"
        data = artifact if isinstance(artifact, bytes) else artifact.SerializeToString()
        path.write_bytes(data)
    else:
        raise ParameterError(
            "An ONNX artifact must be a path to a .onnx file, its bytes or an onnx ModelProto. "
            f"Got {type(artifact).__name__}."
        )
    obj = load_artifact("onnx", "onnx", path, trust=trust, label=str(path))
    return Prepared("onnx", obj=obj, source=path, filename=path.name)


# -- callable -----------------------------------------------------------------------------------
def import_callable(spec: str) -> Callable[..., Any]:
    """The function named by ``"module:function"`` (``function`` may be dotted)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ParameterError(
            f"A callable artifact is named 'module:function' (e.g. 'mypkg.rules:predict'). "
            f"Got {spec!r} instead."
        )
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise ArtifactError(
            f"cannot import module {module_name!r} of {spec!r}: {type(exc).__name__}: {exc}"
        ) from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ArtifactError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise ArtifactError(f"{spec} is a {type(obj).__name__}, not a callable")
    return obj  # type: ignore[no-any-return]


def _source_sha(fn: Any) -> str | None:
    try:
        source = inspect.getsource(inspect.getmodule(fn) or fn)
    except (OSError, TypeError):
        return None
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _prepare_callable(artifact: Any, *, trust: bool, workdir: Path) -> Prepared:
    if isinstance(artifact, str):
        spec = artifact
    elif callable(artifact):
        module = getattr(artifact, "__module__", None)
        qualname = getattr(artifact, "__qualname__", "")
        if not module or "<" in qualname or module == "__main__":
            raise ParameterError(
                f"The callable {qualname or artifact!r} cannot be named by an import path "
                "(lambdas, local and __main__ functions cannot); move it into a module."
            )
        spec = f"{module}:{qualname}"
    else:
        raise ParameterError(
            f"A callable artifact is 'module:function' or a function. Got {type(artifact)}."
        )
    fn = import_callable(spec)
    return Prepared("import", obj=fn, uri=spec, sha256=_source_sha(fn))


_PREPARE = {"sklearn": _prepare_sklearn, "onnx": _prepare_onnx, "callable": _prepare_callable}


def prepare(flavor: str, artifact: Any, *, trust: bool, workdir: Path) -> Prepared:
    """Check (by loading) and, for objects, save an artifact of ``flavor``."""
    if flavor not in _PREPARE:
        raise ParameterError(
            f"The flavor must be one of {', '.join(FLAVORS)}. Got {flavor!r} instead."
        )
    return _PREPARE[flavor](artifact, trust=trust, workdir=workdir)


def load_artifact(flavor: str, fmt: str, path: Path | str, *, trust: bool, label: str) -> Any:
    """Load an artifact; any failure is an :class:`ArtifactError` naming ``label``."""
    if flavor == "callable":
        return import_callable(str(path))
    try:
        if flavor == "onnx":
            ort = _onnxruntime(f"Loading {label}")
            return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        obj = _load_sklearn(fmt, Path(path), trust=trust, label=label)
    except (ArtifactError, MissingPackageError):
        raise
    except Exception as exc:
        raise ArtifactError(
            f"{label} cannot be loaded as a {flavor} model: {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(getattr(obj, "predict", None)):
        raise ArtifactError(
            f"{label} holds a {type(obj).__name__}, which has no predict method; "
            "a scikit-learn artifact must be a fitted estimator"
        )
    return obj


def _existing_file(artifact: str | Path) -> Path:
    path = Path(artifact).expanduser()
    if not path.exists():
        raise ArtifactError(f"{path}: no such file")
    if not path.is_file():
        raise ArtifactError(f"{path}: not a file (an artifact is one file)")
    return path
