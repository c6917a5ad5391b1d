"""Environment settings the ``steward`` process makes for itself, kept from the user's code.

Before numpy loads, the ``steward`` command tunes numpy and OpenBLAS through environment
variables (:mod:`modelsteward.cli._cpu`); its serving workers inherit them, as they
should. A child process that runs the user's own code (training, in
:mod:`modelsteward.retrain`) must instead see the environment the user started steward
with, so every variable steward sets is listed under :data:`MARKER` and
:func:`users_environment` leaves them out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping

__all__ = ["MARKER", "record_own_settings", "users_environment"]

#: Names (space-separated) of the variables the steward process set for itself.
MARKER = "STEWARD_OWN_SETTINGS"


def record_own_settings(environ: MutableMapping[str, str], names: Iterable[str]) -> None:
    """Note that steward itself set ``names`` in ``environ``.

    >>> env = {"OPENBLAS_THREAD_TIMEOUT": "4"}
    >>> record_own_settings(env, ["OPENBLAS_THREAD_TIMEOUT"]); env[MARKER]
    'OPENBLAS_THREAD_TIMEOUT'
    """
    known = set(environ.get(MARKER, "").split())
    environ[MARKER] = " ".join(sorted(known | set(names)))


def users_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default: this process's) without the variables steward set itself.

    >>> users_environment({"A": "1", "B": "2", MARKER: "B"})
    {'A': '1'}
    """
    environ = os.environ if environ is None else environ
    own = set(environ.get(MARKER, "").split()) | {MARKER}
    return {name: value for name, value in environ.items() if name not in own}
