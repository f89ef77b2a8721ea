"""Measure each department's feed from the database at a given instant.

Every query is bounded by `now`, so an evaluation "as of" a past instant sees what
existed then (tests and backfills pass the time in; nothing here reads the clock).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credithub.scorecard.models import DepartmentMetrics
from credithub.storage.tables import StagedRecord, SyncBatch

# Batch statuses that mean the department's data did arrive (validation holds are a
# separate metric; a held batch was still delivered on time).
FAILED_BATCH_STATUSES = ("running", "failed", "interrupted")
# Statuses of a stream's newest batch that mean its last sync did not complete.
BROKEN_BATCH_STATUSES = ("failed", "interrupted")
VALIDATED_STATUSES = ("passed", "quarantined", "released", "rejected")
FAILED_ROW_STATUSES = ("quarantined", "released", "rejected")
FIX_WINDOW = dt.timedelta(days=30)


class DepartmentInfo(BaseModel):
    title: str
    freshness_sla: dt.timedelta


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back naive; everything this hub stores is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _per_department(session: Session, stmt) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {dept: value for dept, value in session.execute(stmt)}


def measure(
    session: Session,
    departments: Mapping[str, DepartmentInfo],
    now: dt.datetime,
    window: dt.timedelta,
) -> dict[str, DepartmentMetrics]:
    now = as_utc(now)  # type: ignore[assignment]
    since = now - window
    last_ok = _per_department(
        session,
        select(SyncBatch.department, func.max(SyncBatch.finished_at))
        .where(SyncBatch.status.not_in(FAILED_BATCH_STATUSES), SyncBatch.finished_at <= now)
        .group_by(SyncBatch.department),
    )
    first_try = _per_department(
        session,
        select(SyncBatch.department, func.min(SyncBatch.started_at))
        .where(SyncBatch.started_at <= now)
        .group_by(SyncBatch.department),
    )
    newest = (
        select(func.max(SyncBatch.id).label("id"))
        .where(SyncBatch.started_at <= now)
        .group_by(SyncBatch.department, SyncBatch.stream)
        .subquery()
    )
    failing = {
        dept
        for (dept,) in session.execute(
            select(SyncBatch.department).join(newest, SyncBatch.id == newest.c.id).where(
                SyncBatch.status.in_(BROKEN_BATCH_STATUSES)
            )
        )
    }
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for dept, status, n in session.execute(
        select(StagedRecord.department, StagedRecord.status, func.count())
        .where(
            StagedRecord.created_at > since,
            StagedRecord.created_at <= now,
            StagedRecord.status.in_(VALIDATED_STATUSES),
        )
        .group_by(StagedRecord.department, StagedRecord.status)
    ):
        counts[dept][status] = n
    backlog: dict[str, tuple[int, dt.datetime | None]] = {
        dept: (n, oldest)
        for dept, n, oldest in session.execute(
            select(StagedRecord.department, func.count(), func.min(StagedRecord.created_at))
            .where(StagedRecord.status == "quarantined", StagedRecord.created_at <= now)
            .group_by(StagedRecord.department)
        )
    }
    fix_times: dict[str, list[float]] = defaultdict(list)
    for dept, created, resolved in session.execute(
        select(StagedRecord.department, StagedRecord.created_at, StagedRecord.resolved_at).where(
            StagedRecord.status == "released",
            StagedRecord.resolved_at.is_not(None),
            StagedRecord.resolved_at > now - FIX_WINDOW,
            StagedRecord.resolved_at <= now,
        )
    ):
        fix_times[dept].append((as_utc(resolved) - as_utc(created)).total_seconds())  # type: ignore[operator]

    out: dict[str, DepartmentMetrics] = {}
    for dept, info in departments.items():
        last = as_utc(last_ok.get(dept))  # type: ignore[arg-type]
        reference = last or as_utc(first_try.get(dept))  # type: ignore[arg-type]
        since_ok = (now - reference).total_seconds() if reference else None
        sla = info.freshness_sla.total_seconds()
        c = counts.get(dept, {})
        validated = sum(c.values())
        failed = sum(c.get(s, 0) for s in FAILED_ROW_STATUSES)
        n_backlog, oldest = backlog.get(dept, (0, None))
        fixes = fix_times.get(dept, [])
        out[dept] = DepartmentMetrics(
            department=dept,
            title=info.title,
            freshness_sla_seconds=sla,
            last_success_at=last,
            seconds_since_success=since_ok,
            sla_elapsed=(since_ok / sla) if since_ok is not None and sla > 0 else None,
            validated_rows=validated,
            failed_rows=failed,
            failure_rate=(failed / validated) if validated else None,
            quarantine_backlog=n_backlog,
            oldest_quarantine_age_seconds=(now - as_utc(oldest)).total_seconds() if oldest else None,  # type: ignore[operator]
            median_fix_seconds=statistics.median(fixes) if fixes else None,
            fixed_rows=len(fixes),
            sync_state="failed" if dept in failing else ("never" if last is None else "ok"),
        )
    return out
