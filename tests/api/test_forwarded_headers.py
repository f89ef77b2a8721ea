"""X-Forwarded-For is believed only from configured proxies: not by the rate limiter, not in the access log.

The server tests run the real uvicorn with the options `credithub serve` uses, because the
reviewer's bypass came from uvicorn's own default (trust forwarded headers from 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from api.clientip import ClientAddress
from api.ratelimit import RateLimitMiddleware, TokenBucketLimiter
from credithub.settings import Settings
from tests.api.live_server import served


def test_forged_forwarded_for_neither_resets_the_limit_nor_reaches_the_access_log(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", rate_limit_per_minute=3)
    with served(settings) as (base, log), httpx.Client(base_url=base) as http:
        statuses = [http.get("/openapi.json", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                    for i in range(1, 7)]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}
    assert log.lines and not any("203.0.113." in line for line in log.lines)
    assert all(line.startswith("127.0.0.1:") for line in log.lines)


def test_a_configured_proxy_is_believed(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", rate_limit_per_minute=3, trusted_proxies="127.0.0.1")
    with served(settings) as (base, log), httpx.Client(base_url=base) as http:
        statuses = [http.get("/openapi.json", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                    for i in range(1, 7)]
    assert statuses == [200] * 6  # six real clients behind our proxy: six buckets
    assert any(line.startswith("203.0.113.6:") for line in log.lines)


def test_serve_turns_proxy_headers_off_unless_proxies_are_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from credithub.cli.main import app as cli

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda _app, **kw: calls.append(kw))
    monkeypatch.setenv("CREDITHUB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CREDITHUB_TRUSTED_PROXIES", raising=False)
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    monkeypatch.setenv("CREDITHUB_TRUSTED_PROXIES", "10.0.0.2, 10.1.0.0/16")
    assert CliRunner().invoke(cli, ["serve", "--port", "8123"]).exit_code == 0
    assert calls[0]["proxy_headers"] is False and calls[0]["forwarded_allow_ips"] == []
    assert calls[1]["proxy_headers"] is True and calls[1]["forwarded_allow_ips"] == ["10.0.0.2/32", "10.1.0.0/16"]
    assert calls[1]["port"] == 8123


def _nets(*values: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(v) for v in values]


def _scope(peer: str, *forwarded: str) -> dict[str, Any]:
    return {"type": "http", "client": (peer, 5000), "headers": [(b"x-forwarded-for", f.encode()) for f in forwarded]}


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ((), "198.51.100.7", ["203.0.113.1"], "198.51.100.7"),  # nobody trusted: the peer
        (("10.0.0.0/8",), "198.51.100.7", ["203.0.113.1"], "198.51.100.7"),  # untrusted peer forging
        (("10.0.0.0/8",), "10.0.0.2", ["203.0.113.1"], "203.0.113.1"),
        # A client forging a first hop behind our two proxies: the right-most untrusted entry wins.
        (("10.0.0.0/8",), "10.0.0.2", ["6.6.6.6, 203.0.113.1, 10.0.0.3"], "203.0.113.1"),
        (("10.0.0.0/8",), "10.0.0.2", ["6.6.6.6", "203.0.113.1"], "203.0.113.1"),  # repeated headers join
        (("10.0.0.0/8",), "10.0.0.2", ["not-an-ip"], "10.0.0.2"),
        (("10.0.0.0/8",), "10.0.0.2", [], "10.0.0.2"),
        (("::1/128",), "::1", ["2001:db8::5"], "2001:db8::5"),
    ],
)
def test_client_address(trusted: tuple[str, ...], peer: str, forwarded: list[str], client: str) -> None:
    assert ClientAddress(_nets(*trusted))(_scope(peer, *forwarded)) == client


def _statuses(middleware: RateLimitMiddleware, peer: str, n: int) -> list[int]:
    async def run() -> list[int]:
        out: list[int] = []
        for i in range(n):
            sent: list[dict[str, Any]] = []

            async def send(message: dict[str, Any], sent: list[dict[str, Any]] = sent) -> None:
                sent.append(message)

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b""}

            scope = {**_scope(peer, f"203.0.113.{i}"), "method": "GET", "path": "/api/v1/companies",
                     "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 8000), "root_path": ""}
            await middleware(scope, receive, send)
            out.append(sent[0]["status"])
        return out

    return asyncio.run(run())


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_rate_limiter_keys_on_the_peer_unless_it_is_a_trusted_proxy() -> None:
    trusted = ClientAddress(_nets("10.0.0.0/8"))
    limited = RateLimitMiddleware(_ok, limiter=TokenBucketLimiter(2), client_address=trusted)
    assert _statuses(limited, "198.51.100.7", 4) == [200, 200, 429, 429]
    proxied = RateLimitMiddleware(_ok, limiter=TokenBucketLimiter(2), client_address=trusted)
    assert _statuses(proxied, "10.0.0.2", 4) == [200] * 4
