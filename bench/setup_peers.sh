#!/usr/bin/env bash
# Create bench/.venv-peers with the peer tools the benchmarks compare against.
# Idempotent: re-running only installs what is missing. Prints the venv's python at the end.
#   Evidently 0.7.23 needs pandas<3 (it fails to import under pandas 3).
#   NannyML 0.13.1 pulls FLAML -> xgboost (a large CUDA wheel; it still runs on the CPU).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-peers"
PY="$VENV/bin/python"
PKGS=(evidently==0.7.23 nannyml==0.13.1 river==0.26.1 'pandas<3' pyarrow)

export DO_NOT_TRACK=1 NML_DISABLE_USAGE_LOGGING=1

if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --upgrade pip
fi

check() {
    "$PY" - <<'PYEOF'
import importlib.metadata as md
import sys

want = {"evidently": "0.7.23", "nannyml": "0.13.1", "river": "0.26.1"}
for name, version in want.items():
    try:
        got = md.version(name)
    except md.PackageNotFoundError:
        sys.exit(1)
    if got != version:
        sys.exit(1)
if int(md.version("pandas").split(".")[0]) >= 3:
    sys.exit(1)
import evidently  # noqa: F401
import nannyml  # noqa: F401
import pyarrow  # noqa: F401
import river  # noqa: F401
PYEOF
}

if ! check 2>/dev/null; then
    "$PY" -m pip install --quiet "${PKGS[@]}"
fi

"$PY" - <<'PYEOF'
import evidently
import nannyml
import pandas
import pyarrow
import river

print(
    f"evidently {evidently.__version__}, nannyml {nannyml.__version__}, "
    f"river {river.__version__}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}",
    flush=True,
)
PYEOF
echo "$PY"
