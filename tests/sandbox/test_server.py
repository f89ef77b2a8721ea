"""The sandbox's local HTTP APIs: each department's paging style, changed-since, and the API key."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from credithub.errors import ConfigError
from credithub.sandbox import SandboxManifest, sources_config
from credithub.sandbox.cli import app
from credithub.sandbox.server import SandboxServer, serve_sandbox


@pytest.fixture(scope="module")
def server(sandbox: SandboxManifest):  # type: ignore[no-untyped-def]
    with serve_sandbox(sandbox.out_dir) as s:
        yield s


def _records(sandbox: SandboxManifest, dept: str, stream: str) -> list[dict]:
    return json.loads((sandbox.out_dir / dept / "api" / f"{stream}.json").read_text("utf-8"))


def test_tax_demands_the_api_key_and_pages_by_number(server: SandboxServer, sandbox: SandboxManifest) -> None:
    url = server.base_urls["tax"] + "/tax_ratings"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"X-API-Key": "wrong"}).status_code == 401
    key = {"X-API-Key": sandbox.api_keys["tax"]}
    first = httpx.get(url, params={"page": 1, "page_size": 7}, headers=key).json()
    got = []
    for page in range(1, first["total_pages"] + 1):
        got += httpx.get(url, params={"page": page, "page_size": 7}, headers=key).json()["items"]
    assert [r["id"] for r in got] == [r["id"] for r in _records(sandbox, "tax", "tax_ratings")]
    assert first["total"] == sandbox.counts["tax"]["tax_ratings"]
    assert httpx.get(url, params={"page": "x"}, headers=key).status_code == 400


def test_offset_limit_paging_with_one_transient_503(server: SandboxServer, sandbox: SandboxManifest) -> None:
    url = server.base_urls["housing_construction"] + "/qualifications"
    got, offset, unavailable = [], 0, 0
    while True:
        r = httpx.get(url, params={"offset": offset, "limit": 5})
        if r.status_code == 503:
            unavailable += 1
            continue
        body = r.json()
        got += body["results"]
        offset += 5
        if offset >= body["total"]:
            break
    assert unavailable == 1  # the first later page fails once, the retry succeeds
    assert [r["id"] for r in got] == [r["id"] for r in _records(sandbox, "housing_construction", "qualifications")]


def test_provident_fund_demands_basic_auth(server: SandboxServer, sandbox: SandboxManifest) -> None:
    url = server.base_urls["housing_provident_fund"] + "/arrears"
    assert httpx.get(url).status_code == 401
    creds = sandbox.basic_auth["housing_provident_fund"]
    assert httpx.get(url, auth=(creds["username"], "wrong")).status_code == 401
    ok = httpx.get(url, auth=(creds["username"], creds["password"]))
    assert ok.status_code == 200 and ok.json()["total"] == sandbox.counts["housing_provident_fund"]["arrears"]


def test_cursor_tokens(server: SandboxServer, sandbox: SandboxManifest) -> None:
    url = server.base_urls["transport"] + "/ratings"
    got, cursor = [], None
    for _ in range(100):
        body = httpx.get(url, params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        got += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [r["id"] for r in got] == [r["id"] for r in _records(sandbox, "transport", "ratings")]
    assert httpx.get(url, params={"cursor": "!!not-a-token"}).status_code == 400


def test_plain_pages_and_changed_since(server: SandboxServer, sandbox: SandboxManifest) -> None:
    url = server.base_urls["development_reform"] + "/credit_commitments"
    records = _records(sandbox, "development_reform", "credit_commitments")
    since = records[len(records) // 2]["updatedAt"]
    body = httpx.get(url, params={"page": 1, "size": 1000, "updated_since": since}).json()
    assert [r["id"] for r in body["rows"]] == [r["id"] for r in records if r["updatedAt"] >= since]
    assert 0 < body["total"] < len(records)
    last = records[-1]["updatedAt"]
    assert [r["id"] for r in httpx.get(url, params={"updated_since": last}).json()["rows"]] == [
        r["id"] for r in records if r["updatedAt"] == last
    ]
    assert httpx.get(server.base_urls["development_reform"] + "/nope").status_code == 404


def test_servers_stop_when_the_block_ends(sandbox: SandboxManifest) -> None:
    with serve_sandbox(sandbox.out_dir) as s:
        url = s.base_urls["transport"] + "/health"
        assert httpx.get(url).status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=1)


def test_serving_a_missing_sandbox_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        serve_sandbox(tmp_path).start()


def test_sources_config_names_every_department(sandbox: SandboxManifest, server: SandboxServer) -> None:
    configs = sources_config(sandbox.out_dir, server.base_urls)
    assert set(configs) == set(sandbox.counts)
    assert configs["tax"]["api_key"] == sandbox.api_keys["tax"]
    assert configs["tax"]["base_url"] == server.base_urls["tax"]
    assert configs["housing_provident_fund"]["password"] == sandbox.basic_auth["housing_provident_fund"]["password"]
    without_http = sources_config(sandbox.out_dir, {})
    assert "tax" not in without_http and "market_regulation" in without_http


def test_cli_generate_and_help(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--companies", "20", "--seed", "9", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "ground_truth.jsonl").exists()
    for cmd in ("generate", "serve", "advance"):
        assert runner.invoke(app, [cmd, "--help"]).exit_code == 0
    moved = runner.invoke(app, ["advance", "--dir", str(tmp_path / "s")])
    assert moved.exit_code == 0 and "day 1: 8 new records" in moved.output, moved.output
    bad = runner.invoke(app, ["serve", "--dir", str(tmp_path / "missing")])
    assert bad.exit_code == 1


def test_serve_command_runs_in_the_foreground_and_writes_sources(sandbox: SandboxManifest, tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    out = tmp_path / "sources.json"
    cmd = [
        sys.executable,
        "-c",
        "from credithub.sandbox.cli import app; app()",
        "serve",
        "--dir",
        str(sandbox.out_dir),
        "--sources-out",
        str(out),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        time.sleep(0.2)
        configs = json.loads(out.read_text("utf-8"))
        assert set(configs) == set(sandbox.counts)
        health = httpx.get(configs["transport"]["base_url"] + "/health", timeout=5)
        assert health.status_code == 200 and health.json()["department"] == "transport"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
