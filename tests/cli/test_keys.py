from __future__ import annotations

from pathlib import Path

import pytest

from modelsteward.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def test_create_prints_the_key_alone_on_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--name", "ci", "--scope", "ingest"]) == 0
    out = capsys.readouterr().out
    token = out.rstrip("\n").splitlines()[-1]
    assert token.startswith("msk_") and " " not in token

    from modelsteward.settings import load_settings
    from modelsteward.store import Store

    store = Store.from_settings(load_settings())
    assert store.keys.verify(token).scope == "ingest"
    store.close()


def test_list_and_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    main(["keys", "create", "--name", "ops", "--scope", "admin"])
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    line = capsys.readouterr().out.strip()
    key_id = line.split()[0]
    assert "admin" in line and "active" in line and "ops" in line and "msk_" not in line
    assert main(["keys", "revoke", key_id]) == 0
    capsys.readouterr()
    main(["keys", "list"])
    assert "revoked" in capsys.readouterr().out


def test_bad_scope_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--name", "x", "--scope", "root"]) == 2
    assert main(["keys", "revoke", "nope"]) == 2
    assert "error: No active API key" in capsys.readouterr().err


def test_db_upgrade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    assert main(["db", "upgrade", "--database", url]) == 0
    from modelsteward.store._migrate import head_revision

    assert f"at revision {head_revision()}" in capsys.readouterr().out
    assert (tmp_path / "other.db").exists()
