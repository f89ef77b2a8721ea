"""/metrics costs the same at any table size (issue 10): scrapes serve the last snapshot and
never count tables; the snapshot is refreshed in the background at most every N seconds."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, func, insert, select, text

from credithub.observability.metrics import create_metrics, install_metrics
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import AuditLog, RawRecord, StagedRecord, SyncBatch

ROWS = 200_000
NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def _fill(db: Database, department: str, n: int) -> None:
    """n raw and staged rows in one batch, inserted with executemany (fast, no ORM objects)."""
    with db.session() as s:
        batch = SyncBatch(department=department, stream="main", started_at=NOW, finished_at=NOW, status="validated")
        s.add(batch)
        s.flush()
        batch_id = batch.id
    with db.engine.begin() as conn:
        first = (conn.execute(select(func.max(RawRecord.id))).scalar() or 0) + 1
        conn.execute(
            insert(RawRecord),
            [
                {"id": i, "batch_id": batch_id, "department": department, "stream": "main", "source_record_id": f"r{i}",
                 "content_hash": f"h{i}", "location": "", "data": {}, "fetched_at": NOW}
                for i in range(first, first + n)
            ],
        )
        conn.execute(
            insert(StagedRecord),
            [
                {"raw_record_id": i, "batch_id": batch_id, "department": department, "stream": "main",
                 "source_record_id": f"r{i}", "staged": {}, "status": "quarantined" if i % 10 == 0 else "passed",
                 "created_at": NOW, "updated_at": NOW}
                for i in range(first, first + n)
            ],
        )


class _Statements:
    """Every SQL statement the engine runs while `recording` is set."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen: list[str] = []
        self.recording = threading.Event()
        event.listen(db.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.recording.is_set():
            self.seen.append(statement)

    def close(self) -> None:
        event.remove(self.db.engine, "before_cursor_execute", self._on_execute)


@pytest.fixture
def big_db(sqlite_db: Database) -> Iterator[Database]:
    _fill(sqlite_db, "tax", ROWS)
    yield sqlite_db


def test_scrape_never_counts_tables_and_answers_quickly(big_db: Database, settings: Settings) -> None:
    app = FastAPI()
    install_metrics(app, settings.model_copy(update={"metrics_refresh_s": 3600.0}), db=big_db)
    statements = _Statements(big_db)
    client = TestClient(app)
    first = _samples(client.get("/metrics").text)  # the first scrape waits for the first snapshot
    assert first[("credithub_stage_records_total", (("department", "tax"), ("stage", "sync")))] == ROWS
    assert first[("credithub_queue_size", (("department", "tax"), ("queue", "quarantine")))] == ROWS // 10
    try:
        statements.recording.set()
        started = time.perf_counter()
        for _ in range(5):
            body = client.get("/metrics").text
        elapsed = (time.perf_counter() - started) / 5
        statements.recording.clear()
    finally:
        statements.close()
    assert statements.seen == []  # no COUNT, no query at all: the cost does not depend on table sizes
    assert elapsed < 0.5
    assert _samples(body)[("credithub_stage_records_total", (("department", "tax"), ("stage", "sync")))] == ROWS


def test_snapshot_is_refreshed_in_the_background_and_last_good_values_survive_an_outage(
    sqlite_db: Database, settings: Settings
) -> None:
    _fill(sqlite_db, "tax", 30)
    metrics = create_metrics(sqlite_db, refresh_s=0.2, first_scrape_wait_s=5.0)
    m = _samples(metrics.render()[0].decode())
    assert m[("credithub_stage_records_total", (("department", "tax"), ("stage", "sync")))] == 30
    _fill(sqlite_db, "customs", 7)
    deadline = time.monotonic() + 10
    while ("credithub_stage_records_total", (("department", "customs"), ("stage", "sync"))) not in m:
        assert time.monotonic() < deadline, "the snapshot was never refreshed"
        time.sleep(0.1)
        m = _samples(metrics.render()[0].decode())
    assert m[("credithub_metrics_db_up", ())] == 1

    with sqlite_db.engine.begin() as conn:  # the database becomes unreadable
        conn.execute(text("ALTER TABLE raw_records RENAME TO raw_records_gone"))
    deadline = time.monotonic() + 10
    while m[("credithub_metrics_db_up", ())] == 1:
        assert time.monotonic() < deadline, "the failed refresh was never reported"
        time.sleep(0.1)
        m = _samples(metrics.render()[0].decode())
    # the last good numbers are still served, with their age so a stale snapshot can be alerted on
    assert m[("credithub_stage_records_total", (("department", "customs"), ("stage", "sync")))] == 7
    assert m[("credithub_metrics_snapshot_age_seconds", ())] >= 0


def test_operator_alert_metrics(sqlite_db: Database, settings: Settings) -> None:
    ok_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    with sqlite_db.session() as s:
        s.add(SyncBatch(department="tax", stream="main", started_at=ok_at, finished_at=ok_at, status="validated"))
        for _ in range(2):
            s.add(SyncBatch(department="tax", stream="main", started_at=ok_at, finished_at=ok_at, status="failed"))
        s.add(SyncBatch(department="customs", stream="main", started_at=ok_at, finished_at=ok_at, status="interrupted"))
        s.add(AuditLog(at=ok_at, actor="pipeline", action="publish_profiles", after={"date": "2026-11-02", "policy_version": "1"}))
    m = _samples(create_metrics(sqlite_db).render()[0].decode())
    assert m[("credithub_sync_failures_total", (("department", "tax"),))] == 2
    assert m[("credithub_sync_failures_total", (("department", "customs"),))] == 1
    assert m[("credithub_seconds_since_last_successful_sync", (("department", "tax"),))] == pytest.approx(3 * 3600, abs=60)
    assert ("credithub_seconds_since_last_successful_sync", (("department", "customs"),)) not in m
    assert m[("credithub_last_successful_publish_timestamp_seconds", ())] == pytest.approx(ok_at.timestamp(), abs=1)
