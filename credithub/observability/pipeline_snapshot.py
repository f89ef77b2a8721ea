"""One read of the pipeline's numbers from the hub database, for /metrics.

The row counts here scan the big tables (0.56 s at 364k rows, ~17 s at city size), so this
is never run by a scrape: metrics.SnapshotCache runs it in the background at most every
`Settings.metrics_refresh_s` and scrapes render the last snapshot that succeeded.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from credithub.scorecard.metrics import FAILED_BATCH_STATUSES, as_utc
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    ProfileRow,
    RawRecord,
    ResolutionFlag,
    ScorecardCard,
    StagedRecord,
    SyncBatch,
)

# Batches that ended without delivering (a running batch is not a failure yet).
SYNC_FAILURE_STATUSES = ("failed", "interrupted")


@dataclass(frozen=True)
class PipelineSnapshot:
    """Pipeline state at `taken_at` (unix time); label tuples are in the metric's label order."""

    taken_at: float
    stage_records: list[tuple[str, str, int]] = field(default_factory=list)  # (stage, department, n)
    validation_failures: list[tuple[str, int]] = field(default_factory=list)  # (department, n)
    queues: list[tuple[str, str, int]] = field(default_factory=list)  # (queue, department, n)
    last_successful_sync: dict[str, float] = field(default_factory=dict)  # department -> unix time
    sync_failures: dict[str, int] = field(default_factory=dict)  # department -> failed batches
    open_cards: list[tuple[str, str, int]] = field(default_factory=list)  # (department, level, n)
    last_successful_publish: float | None = None


def _unix(value: dt.datetime | None) -> float | None:
    utc = as_utc(value)
    return utc.timestamp() if utc is not None else None


def read_snapshot(db: Database) -> PipelineSnapshot:
    """All pipeline numbers in one session (raises when the database cannot be read)."""
    from credithub.pipeline.publish import last_publish

    taken_at = time.time()
    with db.session() as s:
        stage = [("sync", dept, n) for dept, n in s.execute(
            select(RawRecord.department, func.count()).group_by(RawRecord.department)
        )]
        stage += [(f"staged_{status}", dept, n) for dept, status, n in s.execute(
            select(StagedRecord.department, StagedRecord.status, func.count()).group_by(
                StagedRecord.department, StagedRecord.status
            )
        )]
        stage += [("resolved" if resolved else "canonical_unresolved", dept, n) for dept, resolved, n in s.execute(
            select(CanonicalRecordRow.department, CanonicalRecordRow.resolved, func.count()).group_by(
                CanonicalRecordRow.department, CanonicalRecordRow.resolved
            )
        )]
        failures = [(dept, n) for dept, n in s.execute(
            select(StagedRecord.department, func.count())
            .where(StagedRecord.status.in_(("quarantined", "released", "rejected")))
            .group_by(StagedRecord.department)
        )]
        queues = [
            ("validation_pending" if status == "pending" else "quarantine", dept, n)
            for dept, status, n in s.execute(
                select(StagedRecord.department, StagedRecord.status, func.count())
                .where(StagedRecord.status.in_(("pending", "quarantined")))
                .group_by(StagedRecord.department, StagedRecord.status)
            )
        ]
        queues += [("resolution_pending", dept, n) for dept, n in s.execute(
            select(CanonicalRecordRow.department, func.count())
            .where(CanonicalRecordRow.resolved.is_(False))
            .group_by(CanonicalRecordRow.department)
        )]
        queues += [("resolution_flags", dept or "", n) for dept, n in s.execute(
            select(ResolutionFlag.department, func.count())
            .where(ResolutionFlag.status == "open")
            .group_by(ResolutionFlag.department)
        )]
        dirty = s.scalar(select(func.count()).select_from(Entity).where(Entity.dirty.is_(True)))
        queues.append(("profiles_dirty", "", dirty or 0))
        queues.append((
            "publish_pending",
            "",
            s.scalar(
                select(func.count())
                .select_from(ProfileRow)
                .where((ProfileRow.published_hash.is_(None)) | (ProfileRow.published_hash != ProfileRow.content_hash))
            ) or 0,
        ))
        last_ok = {
            dept: ts
            for dept, finished in s.execute(
                select(SyncBatch.department, func.max(SyncBatch.finished_at))
                .where(SyncBatch.status.not_in(FAILED_BATCH_STATUSES))
                .group_by(SyncBatch.department)
            )
            if (ts := _unix(finished)) is not None
        }
        sync_failures = {
            dept: n
            for dept, n in s.execute(
                select(SyncBatch.department, func.count())
                .where(SyncBatch.status.in_(SYNC_FAILURE_STATUSES))
                .group_by(SyncBatch.department)
            )
        }
        cards = [(dept, level, n) for dept, level, n in s.execute(
            select(ScorecardCard.department, ScorecardCard.level, func.count())
            .where(ScorecardCard.cleared_at.is_(None))
            .group_by(ScorecardCard.department, ScorecardCard.level)
        )]
        published = last_publish(s)
    return PipelineSnapshot(
        taken_at=taken_at,
        stage_records=stage,
        validation_failures=failures,
        queues=queues,
        last_successful_sync=last_ok,
        sync_failures=sync_failures,
        open_cards=cards,
        last_successful_publish=_unix(published.at) if published is not None else None,
    )
