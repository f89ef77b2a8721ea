"""The scorecard never shows 正常 for a department whose last sync failed or that never synced (issue 11)."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.scorecard.routes import router
from credithub.scorecard import DepartmentInfo, scorecard_view
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import SyncBatch

from .conftest import add_batch

H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
NAMES = ("fine", "failed_after_success", "only_failed", "only_running", "no_batches", "late_and_failed", "one_stream_failed")
DEPTS = {name: DepartmentInfo(title=name, freshness_sla=DAY) for name in NAMES}


def _batch(db: Database, department: str, stream: str, started: dt.datetime, status: str) -> None:
    with db.session() as s:
        s.add(
            SyncBatch(
                department=department,
                stream=stream,
                started_at=started,
                finished_at=None if status == "running" else started + dt.timedelta(minutes=1),
                status=status,
                error="connection refused" if status == "failed" else None,
            )
        )


def _seed(db: Database) -> None:
    add_batch(db, "fine", T0 - 2 * H)
    add_batch(db, "failed_after_success", T0 - 3 * H)
    _batch(db, "failed_after_success", "main", T0 - H, "failed")
    _batch(db, "only_failed", "main", T0 - H, "failed")
    _batch(db, "only_running", "main", T0 - H, "running")
    add_batch(db, "late_and_failed", T0 - 30 * H)  # over the 1-day SLA: yellow
    _batch(db, "late_and_failed", "main", T0 - H, "failed")
    add_batch(db, "one_stream_failed", T0 - 2 * H)  # stream "main" fine
    _batch(db, "one_stream_failed", "licences", T0 - 3 * H, "validated")
    _batch(db, "one_stream_failed", "licences", T0 - H, "interrupted")


def test_status_shows_failed_and_never_synced_departments(sqlite_db: Database, settings: Settings) -> None:
    _seed(sqlite_db)
    view = scorecard_view(sqlite_db, settings, T0, departments=DEPTS)
    status = {d.department: d.status for d in view.departments}
    assert status == {
        "fine": "ok",
        "failed_after_success": "sync_failed",
        "only_failed": "sync_failed",
        "only_running": "never_synced",
        "no_batches": "never_synced",
        "late_and_failed": "yellow",  # the card logic is unchanged: yellow outranks a failed sync
        "one_stream_failed": "sync_failed",
    }
    sync = {d.department: d.metrics.sync_state for d in view.departments}
    assert sync["late_and_failed"] == "failed" and sync["fine"] == "ok" and sync["no_batches"] == "never"


def test_page_labels_failed_and_never_synced_in_chinese(sqlite_db: Database, settings: Settings) -> None:
    now = dt.datetime.now(dt.UTC)
    add_batch(sqlite_db, "tax", now - H)
    _batch(sqlite_db, "tax", "main", now - dt.timedelta(minutes=30), "failed")
    app = FastAPI()
    app.state.settings, app.state.db = settings, sqlite_db
    app.include_router(router)
    client = TestClient(app)
    body = client.get("/api/v1/departments/scorecard").json()
    by_dept = {d["department"]: d["status"] for d in body["departments"]}
    assert by_dept["tax"] == "sync_failed" and by_dept["customs"] == "never_synced"
    html = client.get("/departments/scorecard").text
    assert "同步失败" in html and "从未同步" in html
    assert "connection refused" not in html  # sync errors are for stewards, not the public page
