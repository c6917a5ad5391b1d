from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelsteward.cli._cpu import (
    _numpy_names_levels,
    avoid_slow_avx512_sort,
    is_zen4,
    let_idle_blas_threads_sleep,
)
from tests.conftest import run_fresh_python

ZEN4 = "vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nflags\t\t: avx2 avx512f\n"
ZEN3 = "vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nflags\t\t: fpu avx2 sse4_2\n"
ZEN5 = "vendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nflags\t\t: fpu avx2 avx512f\n"
INTEL = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\nflags\t\t: fpu avx2 avx512f\n"


def _cpuinfo(tmp_path: Path, first: str, rest: str = "") -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\n{first}\n{rest}", encoding="ascii")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [(ZEN4, True), (ZEN3, False), (ZEN5, False), (INTEL, False), ("", False)],
    ids=["zen4", "zen3-no-avx512", "zen5", "intel", "empty"],
)
def test_only_amd_family_19h_with_avx512_counts_as_zen4(
    tmp_path: Path, text: str, expected: bool
) -> None:
    assert is_zen4(_cpuinfo(tmp_path, text)) is expected


def test_only_the_first_processor_block_is_read(tmp_path: Path) -> None:
    # A later block cannot turn an Intel machine into a Zen 4 one.
    assert is_zen4(_cpuinfo(tmp_path, INTEL, "processor\t: 1\n" + ZEN4)) is False


def test_missing_cpuinfo_is_not_zen4(tmp_path: Path) -> None:
    assert is_zen4(tmp_path / "absent") is False


def test_does_nothing_once_numpy_is_imported(tmp_path: Path) -> None:
    import numpy  # noqa: F401  (imported in this test process anyway)

    environ: dict[str, str] = {}
    assert avoid_slow_avx512_sort(environ, _cpuinfo(tmp_path, ZEN4)) is False
    assert environ == {}


def _fresh_run(cpuinfo: Path, preset: str | None) -> dict[str, object]:
    code = (
        "import json, os, sys\n"
        "from pathlib import Path\n"
        "from modelsteward.cli._cpu import avoid_slow_avx512_sort\n"
        f"env = {{}} if {preset!r} is None else {{'NPY_DISABLE_CPU_FEATURES': {preset!r}}}\n"
        f"changed = avoid_slow_avx512_sort(env, Path({str(cpuinfo)!r}))\n"
        "print(json.dumps({'changed': changed, 'env': env, 'numpy': 'numpy' in sys.modules}))\n"
    )
    result: dict[str, object] = json.loads(run_fresh_python(code))
    return result


def test_sets_the_variable_on_zen4_before_numpy_loads(tmp_path: Path) -> None:
    out = _fresh_run(_cpuinfo(tmp_path, ZEN4), None)
    assert out["changed"] is True
    assert out["numpy"] is False  # deciding did not import numpy
    env = out["env"]
    assert isinstance(env, dict)
    assert "AVX512_ICL" in env["NPY_DISABLE_CPU_FEATURES"]
    assert env["STEWARD_OWN_SETTINGS"] == "NPY_DISABLE_CPU_FEATURES"  # kept from training


def test_an_enabled_feature_list_of_the_users_is_left_alone(tmp_path: Path) -> None:
    # numpy refuses to load with both NPY_ENABLE_ and NPY_DISABLE_CPU_FEATURES set.
    environ = {"NPY_ENABLE_CPU_FEATURES": "X86_V3 X86_V4"}
    cpuinfo = _cpuinfo(tmp_path, ZEN4)
    code = (
        "import json\n"
        "from pathlib import Path\n"
        "from modelsteward.cli._cpu import avoid_slow_avx512_sort\n"
        f"env = {environ!r}\n"
        f"print(json.dumps([avoid_slow_avx512_sort(env, Path({str(cpuinfo)!r})), env]))\n"
    )
    assert json.loads(run_fresh_python(code)) == [False, environ]


@pytest.mark.parametrize(
    ("installed", "levels"),
    [("1.26.4", False), ("2.3.5", False), ("2.4.0", True), ("2.4.0rc1", True), ("3.0.1", True)],
)
def test_feature_names_follow_the_installed_numpy(
    monkeypatch: pytest.MonkeyPatch, installed: str, levels: bool
) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: installed)
    assert _numpy_names_levels() is levels


def test_a_missing_numpy_distribution_gets_the_current_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert _numpy_names_levels() is True


def test_leaves_other_cpus_and_a_user_setting_alone(tmp_path: Path) -> None:
    assert _fresh_run(_cpuinfo(tmp_path, INTEL), None) == {
        "changed": False,
        "env": {},
        "numpy": False,
    }
    mine = _fresh_run(_cpuinfo(tmp_path, ZEN4), "AVX512_SPR")
    assert mine["changed"] is False
    assert mine["env"] == {"NPY_DISABLE_CPU_FEATURES": "AVX512_SPR"}


def test_the_cli_package_does_not_import_numpy() -> None:
    # run() can only steer numpy if importing the entry point leaves numpy unloaded.
    assert run_fresh_python("import sys, modelsteward.cli; print('numpy' in sys.modules)") == (
        "False"
    )


@pytest.mark.skipif(not is_zen4(), reason="needs an AVX-512 AMD family 19h CPU")
def test_numpy_accepts_the_setting_and_drops_avx512() -> None:
    code = (
        "import os, warnings\n"
        "warnings.simplefilter('error')\n"  # numpy warns on a feature name it does not know
        "from modelsteward.cli._cpu import avoid_slow_avx512_sort\n"
        "assert avoid_slow_avx512_sort()\n"
        "import numpy as np\n"
        "from numpy._core._multiarray_umath import __cpu_features__ as features\n"
        "print(features.get('X86_V4', features.get('AVX512_SKX')), features.get('AVX512_ICL'))\n"
    )
    # X86_V4 (numpy 2.4) or AVX512_SKX (earlier) holds the float64 sort's AVX-512 kernel.
    assert run_fresh_python(code) == "False False"


def test_idle_blas_threads_sleep_unless_the_user_chose(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from modelsteward.cli._cpu import let_idle_blas_threads_sleep\n"
        "mine = {'OPENBLAS_THREAD_TIMEOUT': '12'}\n"
        "fresh = {}\n"
        "print(json.dumps([let_idle_blas_threads_sleep(fresh), fresh,\n"
        "                  let_idle_blas_threads_sleep(mine), mine]))\n"
    )
    assert json.loads(run_fresh_python(code)) == [
        True,
        {"OPENBLAS_THREAD_TIMEOUT": "4", "STEWARD_OWN_SETTINGS": "OPENBLAS_THREAD_TIMEOUT"},
        False,
        {"OPENBLAS_THREAD_TIMEOUT": "12"},
    ]
    environ: dict[str, str] = {}
    assert let_idle_blas_threads_sleep(environ) is False  # numpy is loaded in this process
    assert environ == {}
