"""Request bodies are capped at the edge: 413 problem+json before the body is read or parsed.

The streamed cases drive the real app at the ASGI level, because TestClient buffers a whole
body before handing it over and so cannot show how much of it the app pulled.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from credithub.settings import Settings
from credithub.storage.db import Database
from tests.api.live_server import served

LIMIT = 64 * 1024
CHUNK = 16 * 1024


@pytest.fixture(scope="module")
def small_limit_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    var = tmp_path_factory.mktemp("bodylimit") / "var"
    settings = Settings(
        var_dir=var, search_backend="embedded", max_request_body_bytes=LIMIT,
        request_body_limits={"/api/v1/reconcile": 4 * LIMIT},
    )
    Database(settings.resolved_database_url).migrate()
    return create_app(settings)


@pytest.fixture(scope="module")
def small_client(small_limit_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_limit_app) as c:
        yield c


def _assert_413(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 413
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["code"] == "payload_too_large"
    assert "请求体过大" in problem["detail"] and "too large" in problem["detail"]
    assert str(LIMIT) in problem["detail"]


class Sent:
    """What the app sent back, and how much of the body it pulled from the client."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.pulled = 0


def _call(app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], total: int, *, method: str = "POST") -> Sent:
    sent = Sent()
    remaining = total

    async def receive() -> dict[str, Any]:
        nonlocal remaining
        if remaining <= 0:
            await asyncio.sleep(3600)  # a client that never finishes: only a disconnect would come
        n = min(CHUNK, remaining)
        remaining -= n
        sent.pulled += n
        return {"type": "http.request", "body": b"x" * n, "more_body": remaining > 0}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent.body += message.get("body", b"")

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers], "client": ("192.0.2.10", 40000),
        "server": ("127.0.0.1", 8000), "state": {},
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    return sent


def test_declared_length_over_the_limit_is_refused_before_reading(small_limit_app: FastAPI) -> None:
    sent = _call(small_limit_app, "/api/v1/match",
                 [(b"content-type", b"application/json"), (b"content-length", str(20 * 1024 * 1024).encode())],
                 total=20 * 1024 * 1024)
    _assert_413(sent.status, sent.headers, sent.body)
    assert sent.pulled == 0


def test_chunked_body_is_counted_and_reading_stops_at_the_limit(small_limit_app: FastAPI) -> None:
    sent = _call(small_limit_app, "/api/v1/match", [(b"content-type", b"application/json"),
                                                     (b"transfer-encoding", b"chunked")], total=50 * LIMIT)
    _assert_413(sent.status, sent.headers, sent.body)
    assert sent.pulled <= LIMIT + CHUNK


def test_form_posts_read_by_the_route_itself_are_capped_too(small_limit_app: FastAPI) -> None:
    # A bearer header spares the console's CSRF checks, so the route itself reads the form.
    sent = _call(small_limit_app, "/steward/login", [(b"content-type", b"application/x-www-form-urlencoded"),
                                                      (b"authorization", b"Bearer chs_x")], total=50 * LIMIT)
    _assert_413(sent.status, sent.headers, sent.body)
    assert sent.pulled <= LIMIT + CHUNK


def test_through_the_client_with_a_content_length(small_client: TestClient) -> None:
    r = small_client.post("/api/v1/match", content=b"[" * (LIMIT + 1), headers={"content-type": "application/json"})
    _assert_413(r.status_code, dict(r.headers), r.content)


def test_bodies_within_the_limit_reach_the_route(small_client: TestClient) -> None:
    r = small_client.post("/api/v1/match", content=b"{" * (LIMIT - 10), headers={"content-type": "application/json"})
    assert r.status_code == 422  # parsed and refused as JSON, not by size


def test_a_prefix_may_have_a_larger_limit(small_limit_app: FastAPI, small_client: TestClient) -> None:
    body = "queries=" + "x" * (2 * LIMIT)
    r = small_client.post("/api/v1/reconcile", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and r.json()["code"] != "payload_too_large"
    sent = _call(small_limit_app, "/api/v1/reconcile", [(b"content-type", b"application/x-www-form-urlencoded")],
                 total=50 * LIMIT)
    assert sent.status == 413 and str(4 * LIMIT) in json.loads(sent.body)["detail"]
    assert sent.pulled <= 4 * LIMIT + CHUNK


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1, 2"])
def test_malformed_content_length_is_400(small_client: TestClient, value: bytes) -> None:
    sent = _call(small_client.app, "/api/v1/match", [(b"content-length", value)], total=10)  # type: ignore[arg-type]
    assert sent.status == 400 and json.loads(sent.body)["code"] == "bad_content_length"


def test_default_limit_is_one_mebibyte(tmp_path: Path) -> None:
    assert Settings(var_dir=tmp_path).max_request_body_bytes == 1024 * 1024


def _raw_post(base: str, head: bytes, chunks: Iterator[bytes], timeout: float = 60) -> tuple[bytes, int]:
    """Upload over a raw socket, reading whenever the server speaks; stops sending once it has answered.

    Returns the answer's head and how many bytes (request head included) the server's socket took first.
    """
    host, port = base.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    answer, sent, pending = b"", 0, head
    with socket.create_connection((host, int(port)), timeout=timeout) as sock, selectors.DefaultSelector() as sel:
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
            for _, events in sel.select(timeout=1):
                if events & selectors.EVENT_READ:
                    data = sock.recv(65536)
                    if not data:
                        return answer, sent
                    answer += data
                elif events & selectors.EVENT_WRITE and not answer:
                    if not pending:
                        pending = next(chunks, b"")
                        if not pending:  # everything sent: only wait for the answer now
                            sel.modify(sock, selectors.EVENT_READ)
                            continue
                    try:
                        n = sock.send(pending)
                    except (BlockingIOError, ConnectionError):
                        continue
                    sent += n
                    pending = pending[n:]
    return answer, sent


def test_uvicorn_answers_413_while_a_chunked_upload_is_still_coming(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", max_request_body_bytes=LIMIT)
    head = (b"POST /api/v1/match HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    piece = b"x" * CHUNK
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    chunks = itertools.chain([chunk] * 2000, [b"0\r\n\r\n"])  # 32 MiB if nobody stops it
    with served(settings) as (base, _):
        answer, sent = _raw_post(base, head, chunks)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Answered while the upload was still coming (socket buffers on loopback hold a few MiB).
    assert sent < 2000 * len(chunk) / 2


def test_uvicorn_refuses_a_declared_length_without_reading(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", max_request_body_bytes=LIMIT)
    head = (b"POST /api/v1/match HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 209715200\r\n\r\n")
    with served(settings) as (base, _):
        answer, sent = _raw_post(base, head, iter([b"x" * CHUNK] * 2000))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 2000 * CHUNK / 2
