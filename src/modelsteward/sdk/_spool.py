"""A directory of batches that could not be delivered yet; resent oldest first.

Each batch is one JSON file written atomically (temporary file, then rename), so a crash
never leaves half a batch. Resending is safe because ingestion is idempotent by id.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

__all__ = ["Spool"]

log = logging.getLogger("modelsteward.sdk")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class Spool:
    def __init__(self, root: Path, model: str) -> None:
        self.dir = Path(root) / _SAFE.sub("_", model)
        self._seq = itertools.count()

    def put(self, kind: str, rows: list[dict[str, Any]], dumps: Any = json.dumps) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._seq):06d}.{kind}.json"
        tmp = self.dir / f".{name}.tmp"
        tmp.write_text(dumps(rows))
        os.replace(tmp, self.dir / name)

    def files(self) -> list[Path]:
        if not self.dir.is_dir():
            return []
        return sorted(p for p in self.dir.glob("*.json") if not p.name.startswith("."))

    def __bool__(self) -> bool:
        return bool(self.files())

    @staticmethod
    def read(path: Path) -> tuple[str, list[dict[str, Any]]] | None:
        """The kind (``p`` or ``l``) and rows of a spooled batch; ``None`` if it vanished."""
        try:
            rows = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.error("unreadable spool file %s set aside: %s", path, exc)
            path.rename(path.with_suffix(".bad"))
            return None
        kind = path.name.split(".")[-2]
        return kind, rows

    @staticmethod
    def done(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
