"""Validate stage: one great-expectations suite run over a batch's pending staged rows.

Failing rows -> 'quarantined' with every expectation they failed; passing rows -> promoted to
canonical records ('passed'); a batch departing sharply from its dataset's history -> 'held'
(rows stay pending, nothing promoted) until a steward releases or rejects it.

Bounded memory at any batch size: rows are read and checked in chunks of whole source
records (all versions of one record id in the same chunk, so "record id unique within the
batch" is still judged exactly). The two passes are:

1. check: every chunk through the suite; only the failures are kept;
2. decide: the hold policy on the whole batch's outcome, recorded on the batch
   (status 'promoting' + its validation run) in one transaction;
3. promote: chunk by chunk, each chunk's canonical upserts and row statuses in one transaction.

A run killed anywhere resumes exactly: before step 2 nothing was written; after it the batch
says 'promoting', so the resumed run skips the (already taken) hold decision and promotes the
rows still pending. Re-running on a batch with nothing pending changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from connectors.sdk.base import Stream
from credithub.errors import NotFoundError
from credithub.pipeline.canonical import Promotion, promote_many
from credithub.pipeline.failpoints import fail_point
from credithub.storage.locks import department_lock_name, stage_lock
from credithub.settings import Settings
from credithub.storage.bulk import bulk_update
from credithub.storage.db import Database
from credithub.storage.tables import StagedRecord, SyncBatch, ValidationRun, utcnow
from credithub.validation.engine import SuiteOutcome, build_frame, run_suite
from credithub.validation.parallel import merge_outcomes, run_suite_parallel
from credithub.validation.policy import BatchFacts, HistoryEntry, HoldDecision, HoldPolicy, decide
from credithub.validation.streams import stream_for
from credithub.validation.suites import load_suite, suite_columns

log = logging.getLogger(__name__)

FAILURE_SAMPLE = 20
FINAL_BATCH_STATES = ("validated", "held", "rejected")
# Rows per suite run and per promotion transaction: bounds memory on million-row batches.
CHUNK_ROWS = 50_000

PendingRow = tuple[int, str, dict[str, Any]]  # staged id, source record id, staged fields


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


def batches_to_validate(db: Database, department: str) -> list[int]:
    """Every batch of the department with rows still pending or not yet closed, oldest first.

    Whoever landed them (this run, a run killed half-way, `credithub connectors sync`, an
    Airflow ingest task), pending rows are validated by the next validation of the department.
    """
    with db.session() as s:
        pending = set(
            s.scalars(
                select(StagedRecord.batch_id)
                .where(StagedRecord.department == department, StagedRecord.status == "pending")
                .distinct()
            )
        )
        open_batches = set(
            s.scalars(
                select(SyncBatch.id).where(
                    SyncBatch.department == department, SyncBatch.status.in_(("landed", "promoting"))
                )
            )
        )
    return sorted(pending | open_batches)


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


def _statistics(outcome: SuiteOutcome, facts: BatchFacts, decision: HoldDecision) -> dict[str, Any]:
    sample = [{"staged_id": p, "failures": f} for p, f in list(outcome.row_failures.items())[:FAILURE_SAMPLE]]
    return {
        "evaluated": outcome.evaluated,
        "failed_rows": outcome.failed_rows,
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


def _pending_chunks(db: Database, batch_id: int, chunk_rows: int) -> Iterator[list[PendingRow]]:
    """Pending rows in (source record id, id) order, cut only between record ids.

    Keyset pagination, so rows promoted while iterating (pass 2) do not shift later chunks.
    """
    after: tuple[str, int] | None = None
    while True:
        stmt = (
            select(StagedRecord.id, StagedRecord.source_record_id, StagedRecord.staged)
            .where(StagedRecord.batch_id == batch_id, StagedRecord.status == "pending")
            .order_by(StagedRecord.source_record_id, StagedRecord.id)
            .limit(chunk_rows + 1)
        )
        if after is not None:
            # A row-value comparison, not an OR: PostgreSQL then walks ix_staged_batch_pending in order
            # and stops at the limit, where the OR form read and sorted the rest of the batch per chunk.
            stmt = stmt.where(tuple_(StagedRecord.source_record_id, StagedRecord.id) > tuple_(after[0], after[1]))
        with db.session() as s:
            rows: list[PendingRow] = [(i, r, d) for i, r, d in s.execute(stmt)]
        if len(rows) <= chunk_rows:
            if rows:
                yield rows
            return
        cut = chunk_rows
        boundary = rows[cut][1]
        while cut > 0 and rows[cut - 1][1] == boundary:
            cut -= 1
        # Keep every version of the boundary record id together (the uniqueness check); one
        # record id with more versions than a chunk holds goes whole into its own chunk.
        rows = rows[:cut] if cut else _all_versions(db, batch_id, boundary)
        yield rows
        after = (rows[-1][1], rows[-1][0])


def _all_versions(db: Database, batch_id: int, record_id: str) -> list[PendingRow]:
    with db.session() as s:
        return [(i, r, d) for i, r, d in s.execute(
            select(StagedRecord.id, StagedRecord.source_record_id, StagedRecord.staged)
            .where(StagedRecord.batch_id == batch_id, StagedRecord.status == "pending",
                   StagedRecord.source_record_id == record_id)
            .order_by(StagedRecord.id)
        )]


def _check(suite: Any, rows: list[PendingRow], *, key: str, workers: int, docs_dir: Path | None,
           run_name: str) -> tuple[np.ndarray, SuiteOutcome]:
    """The suite over one chunk: the chunk's staged ids and the outcome by position in it."""
    columns = list(dict.fromkeys(["_staged_id", *suite_columns(suite)]))
    frame = build_frame([{**staged, "_staged_id": sid} for sid, _, staged in rows], columns)
    if docs_dir is not None:
        outcome = run_suite(suite, frame, datadocs_dir=docs_dir, run_name=run_name)
    else:
        outcome = run_suite_parallel(suite, frame, key=key, workers=workers)
    return np.fromiter((sid for sid, _, _ in rows), dtype=np.int64, count=len(rows)), outcome


def validate_batch(
    db: Database,
    settings: Settings,
    batch_id: int,
    *,
    build_docs: bool | None = None,
    apply_hold_policy: bool = True,
    stream: Stream | None = None,
    chunk_rows: int = CHUNK_ROWS,
    lock_timeout: float | None = None,
) -> ValidateReport:
    """Validate the batch's pending staged rows. `apply_hold_policy=False` is the steward's
    release of a held batch: the rows are validated and promoted whatever the history says."""
    with db.session() as s:
        batch = s.get(SyncBatch, batch_id)
        if batch is None:
            raise NotFoundError("no such batch", batch=batch_id)
        department = batch.department
    timeout = settings.lock_wait_seconds if lock_timeout is None else lock_timeout
    with stage_lock(db, department_lock_name(department), timeout=timeout):
        return _validate_locked(db, settings, batch_id, build_docs, apply_hold_policy, stream, chunk_rows)


def _validate_locked(db: Database, settings: Settings, batch_id: int, build_docs: bool | None,
                     apply_hold_policy: bool, stream: Stream | None, chunk_rows: int) -> ValidateReport:
    with db.session() as s:
        batch = s.get(SyncBatch, batch_id)
        assert batch is not None
        report = ValidateReport(batch_id=batch.id, department=batch.department, stream=batch.stream,
                                status=batch.status)
        if batch.status == "held" and apply_hold_policy:
            report.held, report.hold_reason, report.unchanged = True, batch.hold_reason, True
            return report
        pending = s.scalar(select(func.count()).select_from(StagedRecord).where(
            StagedRecord.batch_id == batch_id, StagedRecord.status == "pending")) or 0
        if not pending:
            # Nothing new landed (e.g. a re-read deduplicated to nothing): no GX run, no change
            # except closing a landed (or interrupted) batch.
            report.unchanged = batch.status in FINAL_BATCH_STATES
            if batch.status in ("landed", "running", "promoting", "interrupted"):
                batch.status = report.status = "validated"
            report.passed, report.quarantined = batch.rows_passed, batch.rows_quarantined
            return report
        decided = batch.status == "promoting"  # a killed run took the decision already
        facts_rows, full_read = max(batch.rows_fetched, pending), batch.cursor_before is None
        faults = s.scalar(
            select(func.count()).select_from(StagedRecord).where(
                StagedRecord.batch_id == batch_id, StagedRecord.status == "quarantined",
                StagedRecord.failures.is_not(None))
        ) or 0
        history = _history(s, batch, settings.validation_hold_history)

    suite = load_suite(settings.expectations_dir, report.department, report.stream)
    key = stream.primary_key if stream is not None else "record_id"
    docs_dir = settings.datadocs_dir if _want_docs(settings, pending, build_docs) else None
    # Data Docs render one run: only when the whole batch is one chunk.
    size = max(chunk_rows, pending) if docs_dir is not None else chunk_rows
    pieces: list[tuple[np.ndarray, SuiteOutcome]] = []
    datadocs_path: str | None = None
    for index, rows in enumerate(_pending_chunks(db, batch_id, size)):
        ids, piece = _check(suite, rows, key=key, workers=settings.validation_workers, docs_dir=docs_dir,
                            run_name=f"batch-{batch_id}")
        datadocs_path = datadocs_path or piece.datadocs_path
        pieces.append((ids, piece))
        fail_point("validate.checked", index=index)
    outcome = merge_outcomes(suite.name, sum(p.evaluated for _, p in pieces), pieces)
    outcome.datadocs_path = datadocs_path

    facts = BatchFacts(rows=facts_rows, full_read=full_read, evaluated=pending + faults,
                       failed=outcome.failed_rows + faults, batch_level_failures=len(outcome.batch_failures))
    if decided or not apply_hold_policy:
        decision = HoldDecision(hold=False)
    else:
        decision = decide(HoldPolicy.from_settings(settings), facts, history)

    with db.session() as s:
        batch = s.get(SyncBatch, batch_id)
        assert batch is not None
        run = ValidationRun(batch_id=batch.id, department=batch.department, suite=suite.name,
                            success=outcome.success, evaluated=outcome.evaluated, failed=outcome.failed_rows,
                            statistics=_statistics(outcome, facts, decision),
                            datadocs_path=outcome.datadocs_path)
        s.add(run)
        if decision.hold:
            batch.status, batch.hold_reason = "held", decision.text
            log.warning("batch %s (%s/%s) held: %s", batch.id, batch.department, batch.stream, decision.reason_en)
        else:
            batch.status, batch.hold_reason = "promoting", None
        s.flush()
        report.validation_run_id, report.datadocs_path = run.id, run.datadocs_path
    fail_point("validate.decided")

    if not decision.hold:
        target = stream or stream_for(report.department, report.stream)
        for index, rows in enumerate(_pending_chunks(db, batch_id, chunk_rows)):
            passed, quarantined = _promote_chunk(db, rows, outcome.row_failures, report, target)
            report.passed += passed
            report.quarantined += quarantined
            fail_point("validate.promoted", index=index)

    with db.session() as s:
        batch = s.get(SyncBatch, batch_id)
        assert batch is not None
        if not decision.hold:
            batch.status = "validated"
        counts = dict(s.execute(
            select(StagedRecord.status, func.count()).where(StagedRecord.batch_id == batch_id)
            .group_by(StagedRecord.status)
        ).all())
        batch.rows_passed = int(counts.get("passed", 0)) + int(counts.get("released", 0))
        batch.rows_quarantined = int(counts.get("quarantined", 0))
        run = s.get(ValidationRun, report.validation_run_id)
        if run is not None and run.statistics is not None:
            run.statistics = {**run.statistics, "passed": report.passed, "quarantined": report.quarantined}
        report.status = batch.status
    report.evaluated = outcome.evaluated
    report.held, report.hold_reason = decision.hold, decision.text
    return report


_MAPPING_FAILURE = "canonical_mapping"


def _promote_chunk(db: Database, rows: list[PendingRow], row_failures: dict[int, list[dict[str, Any]]],
                   report: ValidateReport, target: Stream) -> tuple[int, int]:
    """Promote the chunk's passing rows and record every row's outcome, in one transaction."""
    now = utcnow()
    candidates = [Promotion(staged_id=sid, source_record_id=rid, staged=staged)
                  for sid, rid, staged in rows if sid not in row_failures]
    with db.session() as s:
        batch_id = report.batch_id
        mapping_errors = promote_many(s, candidates, department=report.department, dataset=target.name,
                                      batch_id=batch_id, stream=target)
        outcomes: list[dict[str, Any]] = []
        passed = quarantined = 0
        for sid, _rid, _staged in rows:
            failures = row_failures.get(sid)
            if failures is None and sid in mapping_errors:
                failures = [{"expectation": _MAPPING_FAILURE, "column": None, "value": None,
                             "reason_zh": f"无法转换为标准记录：{mapping_errors[sid]}（规则：{_MAPPING_FAILURE}）"}]
            if failures is None:
                passed += 1
                outcomes.append({"id": sid, "status": "passed", "failures": None})
            else:
                quarantined += 1
                outcomes.append({"id": sid, "status": "quarantined", "failures": failures})
        # Guarded by status: a row a steward touched meanwhile is left alone. version+1 keeps the
        # stewards' optimistic locking honest (the ORM's version counter).
        table = StagedRecord.__table__
        bulk_update(s, table, outcomes, only_where={"status": "pending"},
                    also_set={"updated_at": now, "version": table.c.version + 1})
    return passed, quarantined
