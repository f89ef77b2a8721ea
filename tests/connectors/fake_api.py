"""A real local JSON API (threaded http.server on 127.0.0.1:0) that can misbehave on demand."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class FakeApi:
    """Serves `records` on /page, /offset and /cursor; `plan` queues faults for the next requests.

    Plan entries: "500", "503", "timeout:<seconds>", "malformed", "retry-after:<value>", "429",
    "noshape" (valid JSON without the record list). `always` applies a fault to every request.
    """

    def __init__(self, records: list[dict[str, Any]], api_key: str = "s3cret-key") -> None:
        self.records = records
        self.api_key = api_key
        self.plan: list[str] = []
        self.always: dict[str, str] = {}  # path -> fault, or "page=N" -> fault
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/api"

    def visible(self, since: str | None) -> list[dict[str, Any]]:
        rows = sorted(self.records, key=lambda r: (r["updated_at"], r.get("record_id", "")))
        return [r for r in rows if since is None or r["updated_at"] >= since]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def send_json(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                with api.lock:
                    api.requests.append(self.path)
                    fault = api.plan.pop(0) if api.plan else None
                    for key, f in api.always.items():
                        if key == url.path or (key.startswith("page=") and q.get("page") == key[5:]):
                            fault = f
                if self.headers.get("X-API-Key") != api.api_key:
                    self.send_json(401, b'{"error":"bad key"}')
                    return
                if fault:
                    if fault in ("500", "503", "429"):
                        self.send_json(int(fault), b'{"error":"boom"}')
                        return
                    if fault.startswith("retry-after:"):
                        self.send_json(503, b"{}", {"Retry-After": fault.split(":", 1)[1]})
                        return
                    if fault.startswith("timeout:"):
                        time.sleep(float(fault.split(":", 1)[1]))
                    elif fault == "malformed":
                        self.send_json(200, b'{"data": [{"record_id": "x", "name": "\xe6\x88')
                        return
                    elif fault == "noshape":
                        self.send_json(200, b'{"message": "maintenance"}')
                        return
                rows = api.visible(q.get("updated_since"))
                if url.path.endswith("/page"):
                    size, page = int(q.get("page_size", 10)), int(q.get("page", 1))
                    body = {"data": rows[(page - 1) * size : page * size], "total": len(rows)}
                elif url.path.endswith("/offset"):
                    off, lim = int(q.get("offset", 0)), int(q.get("limit", 10))
                    body = {"data": rows[off : off + lim]}
                elif url.path.endswith("/cursor"):
                    size, start = int(q.get("page_size", 10)), int(q.get("cursor", 0))
                    nxt = start + size if start + size < len(rows) else None
                    body = {"result": {"items": rows[start : start + size]}, "next_cursor": str(nxt) if nxt else None}
                else:
                    self.send_json(404, b"{}")
                    return
                self.send_json(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeApi]:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        t = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        t.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def make_records(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "record_id": f"T{i:05d}",
            "taxpayer_id": f"91440300MA5{i:07d}",
            "name": f"深圳市测试{i}科技有限公司",
            "rating": "ABMCD"[i % 5],
            "updated_at": f"2026-01-{1 + i // 10:02d}T08:00:00",
        }
        for i in range(start, start + n)
    ]
