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
import bisect
import contextlib
import json
import os
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, overload
from urllib.parse import parse_qs, urlparse

from credithub.errors import ConfigError
from credithub.sandbox.build import load_manifest

Records = Sequence[dict[str, Any]]
"""A stream's records as the paginators see them: they only take len() and slices."""


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
            records: Records = data.get(stream)
            since = params.get("updated_since")
            if since:
                records = data.get(stream).since(since)
            try:
                self._send(200, style.paginate(records, params))
            except BadRequestError as exc:
                self._send(400, {"error": "bad_request", "message": str(exc)})

    return Handler


class FileRecords(Sequence[dict[str, Any]]):
    """A stream's records served straight from its API file: an index in memory, records read per page.

    The file is `formats.write_api_records` output (indent=0 JSON, sorted by change time then id).
    Only where each record starts and ends and its change time are kept (about 40 bytes a record
    instead of a parsed dict's kilobyte), so a city-sized tax_ratings stream costs tens of MB in
    the process that runs the main job, and `updated_since` is a binary search, not a scan.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.starts = array("q")
        self.ends = array("q")
        keys: list[str] = []
        pos = 0
        start = -1
        key = ""
        with path.open("rb") as f:
            for line in f:
                if line.startswith(b"{"):
                    start, key = pos, ""
                elif line.startswith(b"}") and start >= 0:
                    self.starts.append(start)
                    self.ends.append(pos + 1)  # the closing brace, not the comma after it
                    keys.append(key)
                    start = -1
                elif line.startswith(b'"updatedAt": '):
                    value = json.loads(line[len(b'"updatedAt": ') :].rstrip().rstrip(b","))
                    key = "" if value is None else str(value)
                pos += len(line)
        self.keys = _Keys(keys)
        self.sorted = all(keys[i] <= keys[i + 1] for i in range(len(keys) - 1))
        self._fd = os.open(path, os.O_RDONLY)  # kept: `advance` replaces the file, this index reads the old one

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            os.close(self._fd)

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return self.rows(range(len(self))[i])
        return self.rows(range(len(self))[i : i + 1 if i != -1 else None])[0]

    def rows(self, positions: Sequence[int]) -> list[dict[str, Any]]:
        if not len(positions):
            return []
        if isinstance(positions, range) and positions.step == 1:
            # One read for a page: the records and the ",\n" between them form a JSON array's body.
            first, last = positions[0], positions[-1]
            raw = os.pread(self._fd, self.ends[last] - self.starts[first], self.starts[first])
            return json.loads(b"[" + raw + b"]")
        return [json.loads(os.pread(self._fd, self.ends[p] - self.starts[p], self.starts[p])) for p in positions]

    def since(self, since: str) -> Sequence[dict[str, Any]]:
        """Records changed at or after `since` (compared as text, like the records' own ISO times)."""
        if self.sorted:
            return _Slice(self, range(bisect.bisect_left(self.keys, since), len(self)))
        return _Slice(self, [i for i in range(len(self)) if self.keys[i] >= since])


class _Keys(Sequence[str]):
    """Change times of a stream; ISO times of one length are packed into one bytes object."""

    def __init__(self, keys: list[str]) -> None:
        width = len(keys[0]) if keys else 0
        self._width = width if all(len(k) == width and k.isascii() for k in keys) else -1
        self._packed = "".join(keys).encode("ascii") if self._width >= 0 else b""
        self._list = keys if self._width < 0 else []
        self._n = len(keys)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        if self._width < 0:
            return self._list[i]
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._packed[i * self._width : (i + 1) * self._width].decode("ascii")


class _Slice(Sequence[dict[str, Any]]):
    """Some records of a FileRecords (a suffix, or chosen positions), sliced by the paginators."""

    def __init__(self, records: FileRecords, positions: Sequence[int]) -> None:
        self.records = records
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return self.records.rows(self.positions[i])
        return self.records.rows(self.positions[i : i + 1 if i != -1 else None])[0]


class ApiData:
    """A department's API records, re-indexed when `advance` rewrites their file."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths
        self._cache: dict[str, tuple[int, FileRecords]] = {}
        self._lock = threading.Lock()

    def __contains__(self, stream: object) -> bool:
        return stream in self.paths

    def get(self, stream: str) -> FileRecords:
        path = self.paths[stream]
        mtime = path.stat().st_mtime_ns
        with self._lock:
            cached = self._cache.get(stream)
            if cached is None or cached[0] != mtime:
                cached = (mtime, FileRecords(path))
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
