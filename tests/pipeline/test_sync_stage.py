"""The sync stage lands every record raw, deduplicates re-fetches and resumes after a kill."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from credithub.pipeline.sync import sync_stream
from credithub.storage.db import Database
from credithub.storage.tables import ConnectorState, RawRecord, StagedRecord, SyncBatch
from tests.pipeline.csv_connector import CsvTestConnector, Killed, write_csv

ROWS = [
    {"id": f"r{i}", "name": f"深圳市测试{i}科技有限公司", "uscc": "914403001922038216", "updated_at": f"2026-01-{i:02d}"}
    for i in range(1, 8)
]


def _count(db: Database, table: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    write_csv(path, ROWS)
    return path


def test_second_sync_reads_nothing_new_and_full_sync_duplicates_nothing(any_db: Database, source: Path) -> None:
    conn = CsvTestConnector({"path": str(source)})
    first = sync_stream(any_db, conn, "rows")
    assert (first.rows_fetched, first.rows_new, first.status) == (7, 7, "landed")
    second = sync_stream(any_db, conn, "rows")
    assert (second.rows_fetched, second.rows_new) == (0, 0)
    full = sync_stream(any_db, conn, "rows", full=True)
    assert (full.rows_fetched, full.rows_new) == (7, 0)
    assert _count(any_db, RawRecord) == 7
    assert _count(any_db, StagedRecord) == 7
    with any_db.session() as s:
        state = s.get(ConnectorState, ("testdept", "rows"))
        assert state is not None and state.state == {"updated_at": "2026-01-07"}


def test_changed_record_lands_as_new_version_and_supersedes_old(any_db: Database, source: Path) -> None:
    conn = CsvTestConnector({"path": str(source)})
    sync_stream(any_db, conn, "rows")
    changed = [dict(r) for r in ROWS]
    changed[2] = {**changed[2], "name": "深圳市测试3电子有限公司", "updated_at": "2026-02-01"}
    write_csv(source, changed)
    report = sync_stream(any_db, conn, "rows")
    assert (report.rows_fetched, report.rows_new) == (1, 1)
    with any_db.session() as s:
        versions = s.scalars(select(StagedRecord).where(StagedRecord.source_record_id == "r3")).all()
        assert sorted(v.status for v in versions) == ["pending", "superseded"]
    assert _count(any_db, RawRecord) == 8


def test_killed_sync_resumes_from_committed_cursor_without_duplicates_or_gaps(any_db: Database, source: Path) -> None:
    dying = CsvTestConnector({"path": str(source), "die_after": 5, "checkpoint_every": 2})
    with pytest.raises(Killed):
        sync_stream(any_db, dying, "rows")
    # Everything fetched before the kill landed; the cursor stopped at the last checkpoint.
    assert _count(any_db, RawRecord) == 5
    with any_db.session() as s:
        assert s.get(ConnectorState, ("testdept", "rows")).state == {"updated_at": "2026-01-04"}  # type: ignore[union-attr]
        failed = s.scalars(select(SyncBatch)).one()
        assert failed.status == "failed" and "killed" in (failed.error or "")
    resumed = sync_stream(any_db, CsvTestConnector({"path": str(source)}), "rows")
    assert resumed.rows_fetched == 3  # r5 re-read (after the cursor), r6, r7
    assert resumed.rows_new == 2
    with any_db.session() as s:
        ids = sorted(s.scalars(select(RawRecord.source_record_id)).all())
    assert ids == [f"r{i}" for i in range(1, 8)]


def test_unparseable_row_lands_raw_and_is_quarantined_with_location(any_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    rows = [dict(r) for r in ROWS[:3]]
    rows[1]["name"] = ""
    write_csv(path, rows)
    sync_stream(any_db, CsvTestConnector({"path": str(path)}), "rows")
    with any_db.session() as s:
        bad = s.scalars(select(StagedRecord).where(StagedRecord.source_record_id == "r2")).one()
        assert bad.status == "quarantined"
        assert bad.failures[0]["expectation"] == "source_parse"
        assert "rows.csv row 3" in bad.failures[0]["reason_zh"]
        raw = s.get(RawRecord, bad.raw_record_id)
        assert raw is not None and raw.fault == "name missing"
        assert s.scalar(select(func.count()).select_from(StagedRecord).where(StagedRecord.status == "pending")) == 2
