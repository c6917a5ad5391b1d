"""The e-mail channel against a minimal SMTP server on a loopback port."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest

from modelsteward.server._alerting import EmailChannel, Notification
from modelsteward.settings import EmailSettings
from modelsteward.store import Alert
from tests.conftest import free_port

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        out = self.wfile
        out.write(b"220 test ESMTP\r\n")
        data: list[bytes] | None = None
        while line := self.rfile.readline():
            if data is not None:
                if line == b".\r\n":
                    self.server.messages.append(b"".join(data))  # type: ignore[attr-defined]
                    data = None
                    out.write(b"250 queued\r\n")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                data = []
                out.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                out.write(b"221 bye\r\n")
                return
            elif verb in (b"EHLO", b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                out.write(b"250 ok\r\n")
            else:
                out.write(b"502 not implemented\r\n")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _note() -> Notification:
    alert = Alert(
        id=7,
        model="churn",
        rule="acc",
        metric="accuracy",
        severity="critical",
        status="firing",
        version="v2",
        value=0.61,
        threshold=0.8,
        message="accuracy = 0.61 < 0.8",
        created_at=T0,
        updated_at=T0,
    )
    return Notification("firing", alert, T0, T0 + timedelta(hours=1), "https://s.example/a")


def test_email_is_delivered(smtp_server: socketserver.ThreadingTCPServer, tmp_path: Path) -> None:
    port = smtp_server.server_address[1]
    config = EmailSettings(
        host="127.0.0.1",
        port=port,
        sender="steward@example.com",
        recipients=["oncall@example.com", "ml@example.com"],
    )
    assert EmailChannel(config, dead_letter=tmp_path / "dl.jsonl").send(_note()) is True
    [raw] = smtp_server.messages  # type: ignore[attr-defined]
    msg = message_from_bytes(raw)
    assert msg["Subject"] == "[modelsteward critical] churn: accuracy firing"
    assert msg["To"] == "oncall@example.com, ml@example.com"
    body = msg.get_payload(decode=True).decode()
    assert "accuracy = 0.61 < 0.8" in body and "threshold: 0.8" in body
    assert "https://s.example/a" in body and not (tmp_path / "dl.jsonl").exists()


def test_email_retries_then_dead_letters(tmp_path: Path) -> None:
    sleeps: list[float] = []
    config = EmailSettings(
        host="127.0.0.1",
        port=free_port(),
        sender="s@example.com",
        recipients=["r@example.com"],
        retries=2,
        timeout_seconds=2,
    )
    channel = EmailChannel(config, dead_letter=tmp_path / "dl.jsonl", sleep=sleeps.append)
    assert channel.send(_note()) is False
    assert sleeps == [0.5, 1.0]
    [dead] = [json.loads(x) for x in (tmp_path / "dl.jsonl").read_text().splitlines()]
    assert dead["url"].startswith("smtp://127.0.0.1:") and dead["body"]["alert_id"] == 7
