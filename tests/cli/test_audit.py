from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from modelsteward.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def _fill(n: int = 4) -> str:
    from modelsteward.governance import AuditLog
    from modelsteward.settings import load_settings
    from modelsteward.store import Store

    settings = load_settings()
    store = Store.from_settings(settings)
    store.upgrade()
    log = AuditLog(store)
    for i in range(n):
        log.append("test.step", "churn", {"i": i}, actor="tester")
    store.close()
    return settings.resolved_database_url()


def test_verify_intact_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"]) == 0  # an empty log is intact
    _fill()
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("audit log intact: 4 entries")

    assert main(["audit", "export", "-o", str(tmp_path / "a.jsonl")]) == 0
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3, 4]
    assert main(["audit", "verify", "--file", str(tmp_path / "a.jsonl")]) == 0
    capsys.readouterr()
    assert main(["audit", "export", "-o", "-"]) == 0
    streamed = capsys.readouterr()
    assert streamed.out.splitlines() == lines and "wrote 4" in streamed.err

    assert main(["audit", "list", "--format", "json", "--limit", "2"]) == 0
    assert [e["seq"] for e in json.loads(capsys.readouterr().out)] == [3, 4]


def test_verify_tampered_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = _fill()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    engine.dispose()
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        "audit log broken at entry 3: its hash does not match its content (the entry was edited)"
    ]
    assert main(["audit", "verify", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["first_bad_seq"] == 3


def test_verify_with_anchor(capsys: pytest.CaptureFixture[str]) -> None:
    _fill(3)
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    anchor = capsys.readouterr().out.split()[-1]
    assert main(["audit", "verify", "--anchor", anchor]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--anchor", "7:" + "0" * 64]) == 1
    assert capsys.readouterr().out.startswith("audit log broken at entry 4: the entry is missing")
    assert main(["audit", "verify", "--anchor", "nonsense"]) == 2
    assert capsys.readouterr().err.startswith("error: An audit anchor is SEQ:HASH")


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--file", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    (tmp_path / "blocker").write_text("")
    assert main(["audit", "export", "-o", str(tmp_path / "blocker" / "x.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
