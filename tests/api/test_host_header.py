"""A forged Host header never reaches a response: absolute URLs come from CREDITHUB_PUBLIC_BASE_URL.

Before, the reconcile manifest (what OpenRefine stores and shows its users) and Starlette's
trailing-slash redirects were built from the request's Host header.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from credithub.settings import Settings
from credithub.storage.db import Database

FORGED = "evil.example"
REQUESTS = [
    ("GET", "/api/v1/reconcile"),
    ("POST", "/api/v1/reconcile"),
    ("GET", "/api/v1/companies/"),  # trailing slash: redirected
    ("GET", "/departments/scorecard/"),
    ("GET", "/steward/"),
    ("GET", "/steward/login"),
    ("GET", "/about/disclosure"),
    ("GET", "/openapi.json"),
    ("GET", "/no/such/page"),
]


def _app(tmp: Path, **overrides: object) -> TestClient:
    settings = Settings(var_dir=tmp / "var", search_backend="embedded", **overrides)  # type: ignore[arg-type]
    Database(settings.resolved_database_url).migrate()
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def default_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with _app(tmp_path_factory.mktemp("host")) as client:
        yield client


@pytest.fixture(scope="module")
def public_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with _app(tmp_path_factory.mktemp("host-public"), public_base_url="https://credit.example.gov.cn/") as client:
        yield client


@pytest.mark.parametrize(("method", "path"), REQUESTS)
@pytest.mark.parametrize("host", [FORGED, f"{FORGED}:8443", f"127.0.0.1:8000@{FORGED}"])
def test_forged_host_is_never_reflected(default_client: TestClient, method: str, path: str, host: str) -> None:
    r = default_client.request(method, path, headers={"host": host}, follow_redirects=False)
    assert r.status_code < 500
    assert FORGED not in r.text
    assert not any(FORGED in value for value in r.headers.values())


def test_manifest_urls_come_from_the_default_base(default_client: TestClient) -> None:
    manifest = default_client.get("/api/v1/reconcile", headers={"host": FORGED}).json()
    assert manifest["identifierSpace"] == "http://127.0.0.1:8000/companies/"
    assert manifest["schemaSpace"] == "http://127.0.0.1:8000/api/v1/reconcile/schema"
    assert manifest["view"]["url"] == "http://127.0.0.1:8000/companies/{{id}}"


def test_manifest_and_redirects_use_the_configured_base(public_client: TestClient) -> None:
    for method in ("GET", "POST"):
        manifest = public_client.request(method, "/api/v1/reconcile", headers={"host": FORGED}).json()
        assert manifest["view"]["url"] == "https://credit.example.gov.cn/companies/{{id}}"
        assert manifest["identifierSpace"] == "https://credit.example.gov.cn/companies/"
    r = public_client.get("/departments/scorecard/", headers={"host": FORGED}, follow_redirects=False)
    assert r.status_code in (307, 308)
    assert r.headers["location"] == "https://credit.example.gov.cn/departments/scorecard"


@pytest.mark.parametrize("bad", ["ftp://x.example", "credit.example.gov.cn", "https://x.example/?a=1", "https://"])
def test_public_base_url_must_be_an_absolute_http_url(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="public_base_url"):
        Settings(var_dir=tmp_path, public_base_url=bad)
