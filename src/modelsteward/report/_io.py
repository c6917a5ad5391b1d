"""Writing a rendered report to disk.

>>> import tempfile, pathlib
>>> out = save_html("<p>hi</p>", pathlib.Path(tempfile.mkdtemp()) / "sub" / "r.html")
>>> out.read_text(encoding="utf-8")
'<p>hi</p>'
"""

from __future__ import annotations

import os
from pathlib import Path

from modelsteward.errors import InputError

__all__ = ["save_html"]


def save_html(html: str, path: str | os.PathLike[str]) -> Path:
    """Write ``html`` to ``path`` as UTF-8, creating parent directories; return the path.

    Raises :class:`~modelsteward.errors.InputError` naming the path when it cannot be
    written (no permission, a directory in the way, read-only file system).

    >>> save_html("x", "/proc/modelsteward/report.html")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    modelsteward.errors.InputError: cannot write the HTML report to /proc/modelsteward/...
    """
    target = Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(
            f"cannot write the HTML report to {target}: {reason}; "
            "choose a path in a writable directory"
        ) from exc
    return target
