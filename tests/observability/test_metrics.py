"""/metrics on a real FastAPI app over a real database: pipeline numbers and API latency."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from credithub.observability.metrics import create_metrics, install_metrics
from credithub.settings import Settings
from credithub.storage.db import Database
from tests.scorecard.conftest import add_batch


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_endpoint_reports_pipeline_state_and_latency(sqlite_db: Database, settings: Settings) -> None:
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    add_batch(sqlite_db, "tax", now, passed=7, quarantined=3)
    add_batch(sqlite_db, "market_regulation", now, passed=5)
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    install_metrics(app, settings, db=sqlite_db)
    client = TestClient(app)
    for i in range(3):
        assert client.get(f"/items/{i}").status_code == 200
    assert client.get("/items/x").status_code == 422
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    m = _samples(response.text)
    assert m[("credithub_metrics_db_up", ())] == 1
    assert m[("credithub_stage_records_total", (("department", "tax"), ("stage", "sync")))] == 10
    assert m[("credithub_stage_records_total", (("department", "tax"), ("stage", "staged_passed")))] == 7
    assert m[("credithub_validation_failures_total", (("department", "tax"),))] == 3
    assert ("credithub_validation_failures_total", (("department", "market_regulation"),)) not in m
    assert m[("credithub_queue_size", (("department", "tax"), ("queue", "quarantine")))] == 3
    assert m[("credithub_last_successful_sync_timestamp_seconds", (("department", "tax"),))] == now.timestamp()
    # latency labelled by route template, so ids do not explode the label space
    ok = ("credithub_api_request_duration_seconds_count", (("method", "GET"), ("route", "/items/{item_id}"), ("status", "200")))
    bad = ok[:1] + ((("method", "GET"), ("route", "/items/{item_id}"), ("status", "422")),)
    assert m[ok] == 3 and m[bad] == 1


def test_registries_are_per_app_and_db_outage_does_not_break_scrape(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = Database(f"sqlite:///{tmp_path}/empty.db")  # no tables: queries fail
    a, b = create_metrics(broken), create_metrics()
    a.request_latency.labels("GET", "/x", "200").observe(0.1)
    text_a, text_b = a.render()[0].decode(), b.render()[0].decode()
    assert "credithub_metrics_db_up 0.0" in text_a
    assert 'route="/x"' in text_a and 'route="/x"' not in text_b
    broken.dispose()


def test_install_on_the_real_app(sqlite_db: Database, settings: Settings) -> None:
    """What the app factory should call: install_metrics(app, settings)."""
    from api.app import create_app

    app = create_app(settings)
    install_metrics(app, settings)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        text = client.get("/metrics").text
    m = _samples(text)
    assert m[("credithub_metrics_db_up", ())] == 1
    assert m[("credithub_api_request_duration_seconds_count", (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 1
