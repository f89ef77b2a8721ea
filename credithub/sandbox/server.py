"""Local HTTP APIs for the departments that publish over JSON, served from files `generate` wrote.

Each department gets its own threaded server on a free 127.0.0.1 port and its own paging
style, so the SDK's HTTP transport is exercised the way real department APIs differ:
tax pages by number (and demands an API key), housing_construction by offset/limit (and
answers one later page per stream with a 503 first, to exercise retries), transport by opaque
cursor tokens, housing_provident_fund (HTTP basic auth) and development_reform by plain
page numbers. Every endpoint accepts `updated_since` (ISO datetime, inclusive: rows changed at or after it).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlparse

from credithub.errors import ConfigError
from credithub.sandbox.build import load_manifest

Records = list[dict[str, Any]]


class BadRequestError(Exception):
    pass


def _int(params: dict[str, str], name: str, default: int, minimum: int = 0, maximum: int = 1000) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequestError(f"{name} must be an integer") from exc
    if not minimum <= value <= maximum:
        raise BadRequestError(f"{name} must be between {minimum} and {maximum}")
    return value


def page_numbered(records: Records, params: dict[str, str]) -> dict[str, Any]:
    """tax: ?page=1&page_size=100 → {page, page_size, total, total_pages, items}."""
    size = _int(params, "page_size", 100, 1)
    page = _int(params, "page", 1, 1, 10**6)
    total = len(records)
    return {
        "page": page,
        "page_size": size,
        "total": total,
        "total_pages": (total + size - 1) // size,
        "items": records[(page - 1) * size : page * size],
    }


def offset_limit(records: Records, params: dict[str, str]) -> dict[str, Any]:
    """housing_construction: ?offset=0&limit=100 → {offset, limit, total, results}."""
    limit = _int(params, "limit", 100, 1)
    offset = _int(params, "offset", 0, 0, 10**9)
    return {"offset": offset, "limit": limit, "total": len(records), "results": records[offset : offset + limit]}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _untoken(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith("o:"):
            raise ValueError(text)
        return int(text[2:])
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError("invalid cursor token") from exc


def cursor_tokens(records: Records, params: dict[str, str]) -> dict[str, Any]:
    """transport: ?cursor=<token>&limit=100 → {data, next_cursor (null at the end)}."""
    limit = _int(params, "limit", 100, 1)
    offset = _untoken(params["cursor"]) if params.get("cursor") else 0
    end = offset + limit
    return {"data": records[offset:end], "next_cursor": _token(end) if end < len(records) else None}


def plain_pages(records: Records, params: dict[str, str]) -> dict[str, Any]:
    """housing_provident_fund / development_reform: ?page=1&size=100 → {page, size, total, rows}."""
    size = _int(params, "size", 100, 1)
    page = _int(params, "page", 1, 1, 10**6)
    return {"page": page, "size": size, "total": len(records), "rows": records[(page - 1) * size : page * size]}


@dataclass(frozen=True)
class ApiStyle:
    paginate: Callable[[Records, dict[str, str]], dict[str, Any]]
    streams: tuple[str, ...]
    api_key_header: str | None = None
    basic_auth: bool = False
    flaky: bool = False
    """Answer the first request for a later page with 503 once, as overloaded government APIs do."""


API_DEPARTMENTS: dict[str, ApiStyle] = {
    "tax": ApiStyle(page_numbered, ("tax_ratings", "arrears", "violations"), api_key_header="X-API-Key"),
    "housing_construction": ApiStyle(offset_limit, ("qualifications", "bad_conduct"), flaky=True),
    "transport": ApiStyle(cursor_tokens, ("ratings",)),
    "housing_provident_fund": ApiStyle(plain_pages, ("arrears",), basic_auth=True),
    "development_reform": ApiStyle(plain_pages, ("credit_commitments", "red_list", "credit_repair")),
}


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _handler(department: str, style: ApiStyle, data: ApiData, api_key: str | None, auth: dict[str, str] | None) -> type:
    expected_auth = _basic(auth["username"], auth["password"]) if auth else None
    failed_once: set[str] = set()
    lock = threading.Lock()

    def should_fail(stream: str, params: dict[str, str]) -> bool:
        if not style.flaky or params.get("offset", "0") in {"", "0"}:
            return False
        with lock:
            if stream in failed_once:
                return False
            failed_once.add(stream)
            return True

    class Handler(BaseHTTPRequestHandler):
        server_version = f"CreditHubSandbox/{department}"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: tests and runs
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            url = urlparse(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            stream = url.path.strip("/")
            if stream in {"", "health"}:
                self._send(200, {"department": department, "streams": list(style.streams)})
                return
            if stream not in data:
                self._send(404, {"error": "not_found", "message": f"no endpoint /{stream}"})
                return
            if style.api_key_header and self.headers.get(style.api_key_header) != api_key:
                self._send(401, {"error": "unauthorized", "message": f"missing or wrong {style.api_key_header}"})
                return
            if style.basic_auth and self.headers.get("Authorization") != expected_auth:
                self._send(401, {"error": "unauthorized", "message": "HTTP basic authentication required"})
                return
            if should_fail(stream, params):
                self._send(503, {"error": "unavailable", "message": "service busy, retry later"})
                return
            records = data.get(stream)
            since = params.get("updated_since")
            if since:
                records = [r for r in records if str(r.get("updatedAt", "")) >= since]
            try:
                self._send(200, style.paginate(records, params))
            except BadRequestError as exc:
                self._send(400, {"error": "bad_request", "message": str(exc)})

    return Handler


class ApiData:
    """A department's API records, re-read when `advance` rewrites their file."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths
        self._cache: dict[str, tuple[int, Records]] = {}
        self._lock = threading.Lock()

    def __contains__(self, stream: object) -> bool:
        return stream in self.paths

    def get(self, stream: str) -> Records:
        path = self.paths[stream]
        mtime = path.stat().st_mtime_ns
        with self._lock:
            cached = self._cache.get(stream)
            if cached is None or cached[0] != mtime:
                cached = (mtime, json.loads(path.read_text(encoding="utf-8")))
                self._cache[stream] = cached
            return cached[1]


class SandboxServer:
    """Context manager running one HTTP server per API department on free 127.0.0.1 ports."""

    def __init__(self, out_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.out_dir = Path(out_dir)
        self.host = host
        self.first_port = port
        self.base_urls: dict[str, str] = {}
        self._servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(self) -> SandboxServer:
        manifest = load_manifest(self.out_dir)
        for i, (department, style) in enumerate(API_DEPARTMENTS.items()):
            paths = {}
            for stream in style.streams:
                path = self.out_dir / department / "api" / f"{stream}.json"
                if not path.exists():
                    raise ConfigError(
                        "sandbox API data missing; regenerate the sandbox", department=department, file=str(path)
                    )
                paths[stream] = path
            data = ApiData(paths)
            data.get(style.streams[0])  # fail at start, not on the first request, if a file is unreadable
            handler = _handler(
                department, style, data, manifest.api_keys.get(department), manifest.basic_auth.get(department)
            )
            port = self.first_port + i if self.first_port else 0
            httpd = ThreadingHTTPServer((self.host, port), handler)
            httpd.daemon_threads = True
            thread = threading.Thread(target=httpd.serve_forever, name=f"sandbox-{department}", daemon=True)
            thread.start()
            self._servers.append((httpd, thread))
            self.base_urls[department] = f"http://{self.host}:{httpd.server_address[1]}"
        return self

    def stop(self) -> None:
        for httpd, thread in self._servers:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)
        self._servers.clear()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_sandbox(out_dir: Path, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """`with serve_sandbox(dir) as server: server.base_urls['tax']` — servers stop when the block ends."""
    return SandboxServer(out_dir, host, port)
