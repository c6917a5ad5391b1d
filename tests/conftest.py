"""Shared fixtures for the store, server and SDK tests.

``db_url`` runs a test once on SQLite and once on PostgreSQL; the PostgreSQL run needs
``STEWARD_TEST_POSTGRES_URL`` (``.ci/run`` sets it) and is skipped without it. Each
PostgreSQL test gets a schema of its own, dropped afterwards, so parallel workers never
collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ENV = "STEWARD_TEST_POSTGRES_URL"


def _pg_schema_url(base: str, schema: str) -> str:
    import sqlalchemy as sa

    url = sa.make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with an empty database, on each dialect in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steward.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[object]:
    """A migrated :class:`modelsteward.store.Store` on each dialect."""
    from modelsteward.store import Store

    s = Store(db_url)
    s.upgrade()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database URL only (process and file-level tests)."""
    return f"sqlite:///{tmp_path / 'steward.db'}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter (nothing imported yet) and return its stdout."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


class ServerProcess:
    """``steward serve`` in a subprocess on a free loopback port (for kill/restart tests)."""

    def __init__(self, home: Path, *, port: int | None = None, args: tuple[str, ...] = ()) -> None:
        self.home = home
        self.port = port or free_port()
        self.args = args
        self.proc: object = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        import subprocess
        import sys
        import time

        import httpx

        env = {**os.environ, "STEWARD_HOME": str(self.home)}
        env.pop("STEWARD_DATABASE_URL", None)
        self.stderr = open(self.home / f"server-{self.port}.log", "ab")  # noqa: SIM115
        entry = "from modelsteward.cli import run; run()"
        cmd = [sys.executable, "-c", entry, "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen([*cmd, *self.args], env=env, stderr=self.stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:  # type: ignore[attr-defined]
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log()}")

    def log(self) -> str:
        return (self.home / f"server-{self.port}.log").read_text(errors="replace")

    def kill(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
        self.proc.wait()  # type: ignore[attr-defined]
        self.stderr.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:  # type: ignore[attr-defined]
            self.proc.terminate()  # type: ignore[attr-defined]
            try:
                self.proc.wait(10)  # type: ignore[attr-defined]
            except Exception:
                self.proc.kill()  # type: ignore[attr-defined]
                self.proc.wait()  # type: ignore[attr-defined]
        if hasattr(self, "stderr"):
            self.stderr.close()
