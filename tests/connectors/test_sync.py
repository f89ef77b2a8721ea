"""Transports through the real sync stage: duplicates, --full, and a sync killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from credithub.pipeline.sync import sync_stream
from credithub.storage.db import Database
from credithub.storage.tables import ConnectorState, RawRecord, StagedRecord
from tests.connectors.sample_connectors import HEADER, QualityChecks, write_checks

REPO = Path(__file__).resolve().parents[2]


def raw_count(db: Database) -> tuple[int, int]:
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(RawRecord))
        distinct = s.scalar(select(func.count(func.distinct(RawRecord.source_record_id))))
    return int(total or 0), int(distinct or 0)


def test_duplicate_rows_land_once_and_full_adds_nothing(sqlite_db: Database, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    write_checks(drop, 2, 10)
    dup = (HEADER + "C000001,深圳市测试1有限公司,10000001-X,电线,2026-01-02,合格,2026-02-01T00:00:00\n").encode("gbk")
    (drop / "spotchecks_dup.csv").write_bytes(dup)
    conn = QualityChecks({"directory": str(drop)})
    first = sync_stream(sqlite_db, conn, "spot_checks")
    assert first.rows_fetched == 21 and first.rows_new == 20
    assert raw_count(sqlite_db) == (20, 20)
    second = sync_stream(sqlite_db, conn, "spot_checks")
    assert second.rows_fetched == 0
    full = sync_stream(sqlite_db, conn, "spot_checks", full=True)
    assert full.rows_fetched == 21 and full.rows_new == 0
    with sqlite_db.session() as s:
        staged = s.scalars(select(StagedRecord).where(StagedRecord.source_record_id == "C000003")).one()
        assert staged.staged["org_code"] == "10000003-X" and staged.status == "pending"


def test_faults_land_raw_and_are_quarantined(sqlite_db: Database, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    write_checks(drop, 1, 3)
    with (drop / "spotchecks_000.csv").open("ab") as f:
        f.write(b"C9,\xff\xfe\xfd,1,2,3,4,5\n")
    report = sync_stream(sqlite_db, QualityChecks({"directory": str(drop)}), "spot_checks")
    assert report.rows_faulty == 1 and report.rows_new == 4
    with sqlite_db.session() as s:
        q = s.scalars(select(StagedRecord).where(StagedRecord.status == "quarantined")).one()
        assert "spotchecks_000.csv row 4 (line 5)" in q.failures[0]["reason_zh"]
        raw = s.get(RawRecord, q.raw_record_id)
        assert raw is not None and "fffefd" in raw.data["raw"]


SCRIPT = """
import sys
from credithub.pipeline.sync import sync_stream
from credithub.storage.db import Database
from tests.connectors.sample_connectors import SlowQualityChecks
db = Database(sys.argv[1])
sync_stream(db, SlowQualityChecks({"directory": sys.argv[2]}), "spot_checks")
"""


def test_sync_killed_half_way_resumes_without_duplicates_or_gaps(settings, tmp_path: Path) -> None:  # noqa: ANN001
    db = Database(settings.resolved_database_url)
    db.migrate()
    drop = tmp_path / "drop"
    total = write_checks(drop, 20, 200)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, db.url, str(drop)], cwd=REPO, env={**os.environ})
    deadline = time.time() + 60
    committed_files = 0
    while time.time() < deadline and proc.poll() is None:
        with db.session() as s:
            state = s.get(ConnectorState, ("quality_checks_demo", "spot_checks"))
            committed_files = len(state.state["files"]) if state else 0
        if committed_files >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "sync finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    landed, _ = raw_count(db)
    assert 0 < landed < total
    report = sync_stream(db, QualityChecks({"directory": str(drop)}), "spot_checks")
    assert report.status == "landed"
    assert raw_count(db) == (total, total)
    with db.session() as s:
        state = s.get(ConnectorState, ("quality_checks_demo", "spot_checks"))
        assert state is not None and len(state.state["files"]) == 20
    db.dispose()


def test_http_sync_failing_mid_way_keeps_committed_cursor_and_resumes(sqlite_db: Database) -> None:
    from typing import Any, ClassVar

    import pytest

    from connectors.sdk import DeclarativeConnector, HttpEndpoint, HttpJsonStream, HttpSourceConfig
    from credithub.errors import RetriableSourceError
    from tests.connectors.fake_api import FakeApi, make_records

    class Ratings(HttpJsonStream):
        name = "tax_ratings"
        fields: ClassVar = {k: k for k in ("record_id", "taxpayer_id", "name", "rating", "updated_at")}
        primary_key = "record_id"
        cursor_field = "updated_at"
        endpoint = HttpEndpoint(path="/page", paging="page", since_param="updated_since", sorted_by_cursor=True)

        def to_canonical(self, staged: Any) -> Any:
            raise NotImplementedError

    class Tax(DeclarativeConnector):
        name = "tax_demo"
        title = "税务局"
        config_model = HttpSourceConfig
        streams = (Ratings,)

    api = FakeApi(make_records(45))
    with api.running():
        conn = Tax({"base_url": api.base_url, "api_key": api.api_key, "page_size": 10, "max_retries": 1, "backoff_s": 0})
        api.always["page=3"] = "500"
        with pytest.raises(RetriableSourceError):
            sync_stream(sqlite_db, conn, "tax_ratings")
        with sqlite_db.session() as s:
            state = s.get(ConnectorState, ("tax_demo", "tax_ratings"))
            assert state is not None and state.state == {"cursor": "2026-01-02T08:00:00"}  # end of page 2
        assert raw_count(sqlite_db) == (20, 20)
        api.always.clear()
        report = sync_stream(sqlite_db, conn, "tax_ratings")
        assert report.status == "landed"
        assert raw_count(sqlite_db) == (45, 45)  # no gaps, and the re-read boundary rows were not duplicated
