"""Scorecard fixtures: feed history written straight into a real database, and local
webhook / SMTP receivers on 127.0.0.1 that record what they got."""

from __future__ import annotations

import datetime as dt
import email
import itertools
import json
import socketserver
import threading
from collections.abc import Iterator
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from credithub.storage.db import Database
from credithub.storage.tables import RawRecord, StagedRecord, SyncBatch

_ids = itertools.count(1)


def add_batch(
    db: Database,
    department: str,
    finished_at: dt.datetime,
    *,
    passed: int = 50,
    quarantined: int = 0,
    status: str = "validated",
) -> int:
    """One finished sync batch with its staged rows (created when the batch landed)."""
    with db.session() as s:
        batch = SyncBatch(
            department=department,
            stream="main",
            started_at=finished_at - dt.timedelta(minutes=5),
            finished_at=finished_at,
            status=status,
            rows_fetched=passed + quarantined,
            rows_new=passed + quarantined,
            rows_passed=passed,
            rows_quarantined=quarantined,
        )
        s.add(batch)
        s.flush()
        raws = []
        for i in range(passed + quarantined):
            rid = f"r{next(_ids)}"
            raws.append(
                RawRecord(
                    batch_id=batch.id,
                    department=department,
                    stream="main",
                    source_record_id=rid,
                    content_hash=rid,
                    location=f"row {i}",
                    data={"n": i},
                    fetched_at=finished_at,
                )
            )
        s.add_all(raws)
        s.flush()
        failure = [{"expectation": "x", "column": "uscc", "value": "?", "reason_zh": "校验码错误"}]
        s.add_all(
            StagedRecord(
                raw_record_id=raw.id,
                batch_id=batch.id,
                department=department,
                stream="main",
                source_record_id=raw.source_record_id,
                staged={"n": i},
                status="quarantined" if i >= passed else "passed",
                failures=failure if i >= passed else None,
                created_at=finished_at,
                updated_at=finished_at,
            )
            for i, raw in enumerate(raws)
        )
        return batch.id


class _Recorder:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self.lock = threading.Lock()

    def add(self, item: Any) -> None:
        with self.lock:
            self.items.append(item)


@pytest.fixture
def webhook() -> Iterator[tuple[str, _Recorder]]:
    got = _Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.add(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/scorecard", got
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Recorder]]:
    """A minimal SMTP receiver (RFC 5321 happy path) that stores each message's subject, recipients and body."""
    got = _Recorder()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def handle(self) -> None:
            self.reply("220 localhost test smtp")
            rcpts: list[str] = []
            while True:
                line = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
                verb = line.split(" ", 1)[0].upper()
                if verb in {"EHLO", "HELO"}:
                    self.reply("250 localhost")
                elif verb == "MAIL":
                    rcpts = []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(line.split(":", 1)[1].strip(" <>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with .")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data)
                    msg = email.message_from_bytes(b"".join(lines))
                    got.add(
                        {
                            "to": rcpts,
                            "subject": str(make_header(decode_header(msg["Subject"]))),
                            "body": msg.get_payload(decode=True).decode(msg.get_content_charset() or "utf-8"),
                        }
                    )
                    self.reply("250 queued")
                elif verb == "QUIT" or not line:
                    self.reply("221 bye")
                    return
                else:
                    self.reply("250 OK")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], got
    server.shutdown()
    server.server_close()
