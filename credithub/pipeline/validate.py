"""Validate stage: one great-expectations suite run over a batch's pending staged rows.

Failing rows -> 'quarantined' with every expectation they failed; passing rows -> promoted to
canonical records ('passed'); a batch departing sharply from its dataset's history -> 'held'
(rows stay pending, nothing promoted) until a steward releases or rejects it.
Re-running on a batch with nothing pending changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.sdk.base import Stream
from credithub.errors import NotFoundError, ValidationFailedError
from credithub.pipeline.canonical import promote
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import StagedRecord, SyncBatch, ValidationRun, utcnow
from credithub.validation.engine import SuiteOutcome, build_frame, run_suite
from credithub.validation.parallel import run_suite_parallel
from credithub.validation.policy import BatchFacts, HistoryEntry, HoldDecision, HoldPolicy, decide
from credithub.validation.streams import stream_for
from credithub.validation.suites import load_suite, suite_columns

log = logging.getLogger(__name__)

FAILURE_SAMPLE = 20
FINAL_BATCH_STATES = ("validated", "held", "rejected")


class ValidateReport(BaseModel):
    batch_id: int
    department: str
    stream: str
    status: str
    evaluated: int = 0
    passed: int = 0
    quarantined: int = 0
    held: bool = False
    hold_reason: str | None = None
    validation_run_id: int | None = None
    datadocs_path: str | None = None
    unchanged: bool = False


def _history(s: Session, batch: SyncBatch, limit: int) -> list[HistoryEntry]:
    rows = s.execute(
        select(ValidationRun, SyncBatch)
        .join(SyncBatch, SyncBatch.id == ValidationRun.batch_id)
        .where(SyncBatch.department == batch.department, SyncBatch.stream == batch.stream,
               SyncBatch.id != batch.id)
        .order_by(ValidationRun.id.desc())
        .limit(limit * 4)
    ).all()
    out: list[HistoryEntry] = []
    seen: set[int] = set()
    for run, b in rows:
        if b.id in seen:
            continue
        seen.add(b.id)
        stats = run.statistics or {}
        evaluated = int(stats.get("evaluated_with_faults", run.evaluated))
        failed = int(stats.get("failed_with_faults", run.failed))
        out.append(HistoryEntry(batch_id=b.id, rows=b.rows_fetched, full_read=b.cursor_before is None,
                                failure_rate=failed / evaluated if evaluated else 0.0, evaluated=evaluated))
        if len(out) >= limit:
            break
    return out


def _want_docs(settings: Settings, rows: int, build_docs: bool | None) -> bool:
    if build_docs is not None:
        return build_docs
    return settings.validation_build_datadocs and rows <= settings.validation_datadocs_max_rows


def _statistics(outcome: SuiteOutcome, facts: BatchFacts, decision: HoldDecision, passed: int,
                quarantined: int) -> dict[str, Any]:
    sample = [{"position": p, "failures": f} for p, f in list(outcome.row_failures.items())[:FAILURE_SAMPLE]]
    return {
        "evaluated": outcome.evaluated,
        "failed_rows": outcome.failed_rows,
        "passed": passed,
        "quarantined": quarantined,
        "evaluated_with_faults": facts.evaluated,
        "failed_with_faults": facts.failed,
        "failure_rate": round(facts.failure_rate, 6),
        "rows_fetched": facts.rows,
        "full_read": facts.full_read,
        "expectations": [s.model_dump() for s in outcome.stats],
        "batch_failures": outcome.batch_failures,
        "held": decision.hold,
        "hold_reason_zh": decision.reason_zh,
        "hold_reason_en": decision.reason_en,
        "failure_sample": sample,
    }


def validate_batch(
    db: Database,
    settings: Settings,
    batch_id: int,
    *,
    build_docs: bool | None = None,
    apply_hold_policy: bool = True,
    stream: Stream | None = None,
) -> ValidateReport:
    """Validate the batch's pending staged rows. `apply_hold_policy=False` is the steward's
    release of a held batch: the rows are validated and promoted whatever the history says."""
    with db.session() as s:
        batch = s.get(SyncBatch, batch_id)
        if batch is None:
            raise NotFoundError("no such batch", batch=batch_id)
        report = ValidateReport(batch_id=batch.id, department=batch.department, stream=batch.stream,
                                status=batch.status)
        if batch.status == "held" and apply_hold_policy:
            report.held, report.hold_reason, report.unchanged = True, batch.hold_reason, True
            return report
        pending = s.scalars(
            select(StagedRecord)
            .where(StagedRecord.batch_id == batch_id, StagedRecord.status == "pending")
            .order_by(StagedRecord.id)
        ).all()
        if not pending:
            # Nothing new landed (e.g. a re-read deduplicated to nothing): no GX run, no change
            # except closing a landed batch.
            report.unchanged = batch.status in FINAL_BATCH_STATES
            if batch.status in ("landed", "running"):
                batch.status = report.status = "validated"
            report.passed, report.quarantined = batch.rows_passed, batch.rows_quarantined
            return report

        suite = load_suite(settings.expectations_dir, batch.department, batch.stream)
        columns = list(dict.fromkeys(["_staged_id", *suite_columns(suite)]))
        frame = build_frame([{**r.staged, "_staged_id": r.id} for r in pending], columns)
        docs = _want_docs(settings, len(pending), build_docs) and bool(pending)
        if docs:
            outcome = run_suite(suite, frame, datadocs_dir=settings.datadocs_dir, run_name=f"batch-{batch.id}")
        else:
            key = stream.primary_key if stream is not None else "record_id"
            outcome = run_suite_parallel(suite, frame, key=key, workers=settings.validation_workers)

        faults = s.scalar(
            select(func.count()).select_from(StagedRecord).where(
                StagedRecord.batch_id == batch_id, StagedRecord.status == "quarantined",
                StagedRecord.failures.is_not(None))
        ) or 0
        facts = BatchFacts(rows=max(batch.rows_fetched, len(pending)), full_read=batch.cursor_before is None,
                           evaluated=len(pending) + faults, failed=outcome.failed_rows + faults,
                           batch_level_failures=len(outcome.batch_failures))
        decision = decide(HoldPolicy.from_settings(settings), facts, _history(s, batch, settings.validation_hold_history)) \
            if apply_hold_policy else HoldDecision(hold=False)

        passed = quarantined = 0
        if not decision.hold:
            target = stream or stream_for(batch.department, batch.stream)
            now = utcnow()
            for pos, row in enumerate(pending):
                failures = outcome.row_failures.get(pos)
                if failures is None:
                    try:
                        promote(s, row, target)
                    except ValidationFailedError as exc:
                        failures = [{"expectation": "canonical_mapping", "column": None, "value": None,
                                     "reason_zh": f"无法转换为标准记录：{exc.message}（规则：canonical_mapping）"}]
                if failures is None:
                    row.status, row.failures = "passed", None
                    passed += 1
                else:
                    row.status, row.failures = "quarantined", failures
                    quarantined += 1
                row.updated_at = now
            batch.status = "validated" if batch.status in ("landed", "held", "validated", "running") else batch.status
            batch.hold_reason = None
        else:
            batch.status = "held"
            batch.hold_reason = decision.text
            log.warning("batch %s (%s/%s) held: %s", batch.id, batch.department, batch.stream, decision.reason_en)

        run = ValidationRun(batch_id=batch.id, department=batch.department, suite=suite.name,
                            success=outcome.success, evaluated=outcome.evaluated, failed=outcome.failed_rows,
                            statistics=_statistics(outcome, facts, decision, passed, quarantined),
                            datadocs_path=outcome.datadocs_path)
        s.add(run)
        s.flush()
        counts = dict(s.execute(
            select(StagedRecord.status, func.count()).where(StagedRecord.batch_id == batch_id)
            .group_by(StagedRecord.status)
        ).all())
        batch.rows_passed = int(counts.get("passed", 0)) + int(counts.get("released", 0))
        batch.rows_quarantined = int(counts.get("quarantined", 0))
        report.status = batch.status
        report.evaluated = outcome.evaluated
        report.passed, report.quarantined = passed, quarantined
        report.held, report.hold_reason = decision.hold, decision.text
        report.validation_run_id, report.datadocs_path = run.id, run.datadocs_path
        return report
