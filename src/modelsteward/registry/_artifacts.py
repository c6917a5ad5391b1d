"""Where artifacts live: ``<root>/<model>/<version>/<file>``, content-hashed (SHA-256).

The root is a folder (``$STEWARD_HOME/artifacts`` by default) or, when fsspec is installed,
any fsspec URL (``s3://bucket/models``). A new artifact is first copied to a staging folder
next to its final place, then moved there inside the transaction that records the version,
and moved back if that transaction fails, so no version row ever points at a missing file.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelsteward.registry._errors import ArtifactError, MissingPackageError

__all__ = ["ArtifactStore", "Staged", "open_artifact_store", "sha256_file"]

_CHUNK = 1 << 20


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class Staged:
    """An artifact copied next to its final place, waiting for its version label."""

    folder: str
    filename: str
    sha256: str
    size: int


class ArtifactStore:
    """Artifacts in a local folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    def stage(self, source: Path, model: str, filename: str) -> Staged:
        sha, size = sha256_file(source)
        folder = self.root / model / f".staging-{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True, exist_ok=False)
            shutil.copyfile(source, folder / filename)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise ArtifactError(
                f"cannot copy the artifact {source} into {self.root}: {exc.strerror or exc}; "
                "check that STEWARD_HOME is writable"
            ) from exc
        return Staged(str(folder), filename, sha, size)

    def place(self, staged: Staged, model: str, version: str) -> str:
        """Move a staged artifact to ``<root>/<model>/<version>/``; return its URI."""
        final = self.root / model / version
        if final.exists():  # left behind by a crash before its version row was committed
            shutil.rmtree(final)
        Path(staged.folder).replace(final)
        return str(final / staged.filename)

    def unplace(self, staged: Staged, model: str, version: str) -> None:
        final = self.root / model / version
        if final.exists():
            final.replace(staged.folder)

    def discard(self, staged: Staged) -> None:
        shutil.rmtree(staged.folder, ignore_errors=True)

    def local_path(self, uri: str) -> Path:
        """A local file with the artifact's content."""
        path = Path(uri)
        if not path.is_file():
            raise ArtifactError(
                f"the artifact file {uri} is missing; it was moved or deleted after "
                "registration (restore it, or register the model again)"
            )
        return path


class FsspecArtifactStore(ArtifactStore):
    """Artifacts under an fsspec URL (needs the optional package fsspec)."""

    def __init__(self, root: str) -> None:
        try:
            fsspec: Any = importlib.import_module("fsspec")
        except ImportError as exc:
            raise MissingPackageError("fsspec", f"An artifact root URL ({root})") from exc
        self.url = root.rstrip("/")
        self.fs: Any
        self.fs, self._base = fsspec.core.url_to_fs(self.url)
        self.root = Path(self._base)
        self._cache = Path(tempfile.mkdtemp(prefix="steward-artifacts-"))

    def __repr__(self) -> str:
        return f"FsspecArtifactStore({self.url!r})"

    def _join(self, *parts: str) -> str:
        return "/".join([self._base.rstrip("/"), *parts])

    def stage(self, source: Path, model: str, filename: str) -> Staged:
        sha, size = sha256_file(source)
        folder = self._join(model, f".staging-{uuid.uuid4().hex}")
        try:
            self.fs.makedirs(folder, exist_ok=True)
            self.fs.put_file(str(source), f"{folder}/{filename}")
        except Exception as exc:
            raise ArtifactError(
                f"cannot upload the artifact {source} to {self.url}: {exc}"
            ) from exc
        return Staged(folder, filename, sha, size)

    def place(self, staged: Staged, model: str, version: str) -> str:
        final = self._join(model, version)
        if self.fs.exists(final):
            self.fs.rm(final, recursive=True)
        self.fs.mv(staged.folder, final, recursive=True)
        return str(self.fs.unstrip_protocol(f"{final}/{staged.filename}"))

    def unplace(self, staged: Staged, model: str, version: str) -> None:
        final = self._join(model, version)
        if self.fs.exists(final):
            self.fs.mv(final, staged.folder, recursive=True)

    def discard(self, staged: Staged) -> None:
        if self.fs.exists(staged.folder):
            self.fs.rm(staged.folder, recursive=True)

    def local_path(self, uri: str) -> Path:
        target = self._cache / uuid.uuid4().hex / uri.rsplit("/", 1)[-1]
        target.parent.mkdir(parents=True)
        try:
            self.fs.get_file(uri, str(target))
        except Exception as exc:
            raise ArtifactError(f"cannot download the artifact {uri}: {exc}") from exc
        return target


def open_artifact_store(root: str | Path) -> ArtifactStore:
    """A folder, or an fsspec URL such as ``s3://bucket/models`` (``file://`` is a folder)."""
    text = str(root)
    if "://" in text and not text.startswith("file://"):
        return FsspecArtifactStore(text)
    return ArtifactStore(text.removeprefix("file://"))
