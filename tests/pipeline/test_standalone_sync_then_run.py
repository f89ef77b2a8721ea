"""Rows landed outside a run (`credithub connectors sync`, an ingest task that died before it
validated) are validated by the next `credithub run`, even though that run's own sync finds
nothing new (identical content is deduplicated)."""

from __future__ import annotations

from sqlalchemy import func, select

from credithub.pipeline.run import run_pipeline, source_endpoints
from credithub.pipeline.sources import load_connectors
from credithub.pipeline.sync import sync_department
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import CanonicalRecordRow, StagedRecord, SyncBatch


def test_rows_landed_by_a_standalone_sync_are_validated_by_the_next_run(settings: Settings) -> None:
    settings = settings.model_copy(update={"sandbox_companies": 30})
    db = Database(settings.resolved_database_url)
    db.migrate()
    with source_endpoints(settings) as urls:
        connector = load_connectors(settings, urls)["tax"]
        reports = sync_department(db, connector)  # what `credithub connectors sync tax` does
    assert all(r.status == "landed" for r in reports)
    with db.session() as s:
        pending_before = s.scalar(select(func.count()).select_from(StagedRecord).where(
            StagedRecord.department == "tax", StagedRecord.status == "pending"))
    assert pending_before and pending_before > 20

    report = run_pipeline(settings, departments=["tax"])

    assert not report.failed_departments
    assert sum(r.rows_new for d in report.departments for r in d.syncs) == 0  # nothing new fetched
    with db.session() as s:
        pending = s.scalar(select(func.count()).select_from(StagedRecord).where(StagedRecord.status == "pending"))
        promoted = s.scalar(select(func.count()).select_from(CanonicalRecordRow).where(
            CanonicalRecordRow.department == "tax"))
        open_batches = s.scalar(select(func.count()).select_from(SyncBatch).where(
            SyncBatch.status.in_(("landed", "running", "promoting"))))
    db.dispose()
    assert pending == 0
    assert promoted and promoted >= pending_before * 0.8
    assert open_batches == 0
