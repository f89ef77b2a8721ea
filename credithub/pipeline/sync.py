"""Sync stage: read a department stream and land every record raw before anything can reject it.

Rows are written in chunks; each chunk and the cursor that follows it commit in ONE
transaction, so a sync killed half-way resumes from its last committed cursor: rows after
it are read again and deduplicated by (department, stream, source record id, content hash).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.sdk.base import Connector, SchemaDrift, SourceFault, SourceRow, StateCheckpoint, Stream
from credithub.hashing import content_hash
from credithub.observability.logs import log_context
from credithub.pipeline.failpoints import fail_point
from credithub.storage.locks import department_lock_name, stage_lock
from credithub.storage.bulk import bulk_insert
from credithub.storage.db import Database
from credithub.storage.tables import ConnectorState, RawRecord, StagedRecord, SyncBatch, utcnow

log = logging.getLogger(__name__)

CHUNK_SIZE = 2000
# Planner statistics are refreshed every this many landed chunks (PostgreSQL; see Database.analyze).
ANALYZE_EVERY_FLUSHES = 50
# Keys per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
_IN_CHUNK = 1000


class SyncReport(BaseModel):
    batch_id: int
    department: str
    stream: str
    status: str
    rows_fetched: int = 0
    rows_new: int = 0
    rows_faulty: int = 0
    drift: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None
    error_type: str | None = None


def _fault_failure(fault: SourceFault) -> dict[str, Any]:
    return {
        "expectation": "source_parse",
        "column": fault.field,
        "value": fault.raw[:500],
        "reason_zh": f"源数据无法解析（{fault.location}）：{fault.reason}",
    }


class _Lander:
    """Buffers messages of one batch and writes them chunk by chunk."""

    def __init__(self, db: Database, batch: SyncBatch, stream: Stream) -> None:
        self.db = db
        self.batch = batch
        self.stream = stream
        self.rows: list[SourceRow | SourceFault] = []
        self.flushes = 0
        self.report = SyncReport(batch_id=batch.id, department=batch.department, stream=batch.stream, status="running")

    def add(self, msg: SourceRow | SourceFault) -> None:
        self.rows.append(msg)
        self.report.rows_fetched += 1
        if isinstance(msg, SourceFault):
            self.report.rows_faulty += 1

    def flush(self, state: dict[str, Any] | None = None) -> None:
        """Land buffered rows and, in the same transaction, advance the cursor."""
        with self.db.session() as s:
            if self.rows:
                self._land(s, self.rows)
            if state is not None:
                self._save_state(s, state)
            s.execute(
                update(SyncBatch)
                .where(SyncBatch.id == self.batch.id)
                .values(
                    rows_fetched=self.report.rows_fetched,
                    rows_new=self.report.rows_new,
                    rows_faulty=self.report.rows_faulty,
                    cursor_after=state if state is not None else SyncBatch.cursor_after,
                )
            )
        self.rows = []
        self.flushes += 1
        if self.flushes % ANALYZE_EVERY_FLUSHES == 0:
            self.db.analyze("raw_records", "staged_records")
        fail_point("sync.flushed", index=self.flushes)

    def _save_state(self, s: Session, state: dict[str, Any]) -> None:
        row = s.get(ConnectorState, (self.batch.department, self.batch.stream))
        if row is None:
            s.add(ConnectorState(department=self.batch.department, stream=self.batch.stream, state=state))
        else:
            row.state = state

    def _land(self, s: Session, msgs: Iterable[SourceRow | SourceFault]) -> None:
        """Insert the chunk's new raw rows and their staged rows with set-based statements.

        Plain rows through credithub.storage.bulk (COPY on PostgreSQL, multi-row INSERT on SQLite),
        not one ORM object per row: at city scale the ORM's per-object flush was most of the sync
        stage's time and memory.
        """
        dept, stream_name = self.batch.department, self.batch.stream
        prepared: dict[tuple[str, str], tuple[SourceRow | SourceFault, dict[str, Any]]] = {}
        for m in msgs:
            if isinstance(m, SourceRow):
                data = m.data
                rid = m.record_id
            else:
                data = {"raw": m.raw, "reason": m.reason, "field": m.field}
                rid = m.record_id or f"fault:{m.location}"
            prepared[(rid, content_hash(data))] = (m, data)
        if not prepared:
            return
        raw_t, staged_t = RawRecord.__table__, StagedRecord.__table__
        record_ids = list({rid for rid, _ in prepared})
        known: dict[str, set[str]] = {}
        for i in range(0, len(record_ids), _IN_CHUNK):
            part = record_ids[i : i + _IN_CHUNK]
            for rid, digest in s.execute(
                select(raw_t.c.source_record_id, raw_t.c.content_hash).where(
                    raw_t.c.department == dept, raw_t.c.stream == stream_name, raw_t.c.source_record_id.in_(part)
                )
            ):
                known.setdefault(rid, set()).add(digest)
        new_keys = [k for k in prepared if k[1] not in known.get(k[0], ())]
        if not new_keys:
            return
        # A newer version of a source record replaces older, not yet resolved staged versions.
        older = sorted({rid for rid, _ in new_keys if rid in known})
        for i in range(0, len(older), _IN_CHUNK):
            s.execute(
                update(staged_t)
                .where(
                    staged_t.c.department == dept,
                    staged_t.c.stream == stream_name,
                    staged_t.c.source_record_id.in_(older[i : i + _IN_CHUNK]),
                    staged_t.c.status.in_(("pending", "quarantined")),
                )
                .values(status="superseded", resolution_note="newer version fetched", updated_at=utcnow(),
                        version=staged_t.c.version + 1)
            )
        now = utcnow()
        raw_rows = []
        for rid, digest in new_keys:
            msg, data = prepared[(rid, digest)]
            raw_rows.append({
                "batch_id": self.batch.id, "department": dept, "stream": stream_name, "source_record_id": rid,
                "content_hash": digest, "location": msg.location, "data": data,
                "fault": msg.reason if isinstance(msg, SourceFault) else None, "fetched_at": now,
            })
        raw_ids = bulk_insert(s, raw_t, raw_rows, return_ids=True)
        staged_rows = []
        for raw_id, (rid, digest) in zip(raw_ids, new_keys, strict=True):
            msg, data = prepared[(rid, digest)]
            row: dict[str, Any] = {
                "raw_record_id": raw_id, "batch_id": self.batch.id, "department": dept, "stream": stream_name,
                "source_record_id": rid, "version": 1, "created_at": now, "updated_at": now,
            }
            if isinstance(msg, SourceRow):
                row.update(staged=self.stream.stage(data), status="pending", failures=None)
            else:
                row.update(staged={}, status="quarantined", failures=[_fault_failure(msg)])
            staged_rows.append(row)
        bulk_insert(s, staged_t, staged_rows)
        self.report.rows_new += len(new_keys)


def _start_batch(db: Database, department: str, stream: str, full: bool) -> tuple[SyncBatch, dict[str, Any] | None]:
    with db.session() as s:
        interrupted = s.scalars(
            select(SyncBatch).where(
                SyncBatch.department == department, SyncBatch.stream == stream, SyncBatch.status == "running"
            )
        ).all()
        state_row = s.get(ConnectorState, (department, stream))
        state = None if full or state_row is None else dict(state_row.state)
        batch = SyncBatch(department=department, stream=stream, full_refresh=full, cursor_before=state, status="running")
        s.add(batch)
        s.flush()
        for old in interrupted:
            # Rows a killed run landed are validated with this batch, so nothing waits forever.
            old.status = "interrupted"
            old.finished_at = utcnow()
            old.error = f"interrupted; pending rows moved to batch {batch.id}"
            s.execute(
                update(StagedRecord)
                .where(StagedRecord.batch_id == old.id, StagedRecord.status == "pending")
                .values(batch_id=batch.id)
            )
        return batch, state


def _finish_batch(db: Database, report: SyncReport, drift: list[dict[str, Any]]) -> None:
    with db.session() as s:
        batch = s.get(SyncBatch, report.batch_id)
        assert batch is not None
        batch.status = report.status
        batch.finished_at = utcnow()
        batch.drift = drift or None
        batch.error = report.error


def sync_stream(
    db: Database, connector: Connector, stream: str, *, full: bool = False, lock_timeout: float | None = None,
    chunk_rows: int = CHUNK_SIZE,
) -> SyncReport:
    """Read one stream after its saved cursor (everything when `full`) and land it raw.

    Raises the source's error after recording it on the batch, so callers (Airflow) can
    decide to retry; everything fetched before the error has landed. Holds the department's
    lock (waits `lock_timeout` seconds, None: forever) so two syncs never land the same stream.
    """
    stream_obj = connector.stream(stream)
    with stage_lock(db, department_lock_name(connector.name), timeout=lock_timeout):
        batch, state = _start_batch(db, connector.name, stream, full)
        with log_context(department=connector.name, batch=batch.id, stream=stream, stage="sync"):
            return _read_and_land(db, connector, stream_obj, batch, state, chunk_rows)


def _read_and_land(
    db: Database, connector: Connector, stream_obj: Stream, batch: SyncBatch, state: dict[str, Any] | None,
    chunk_rows: int,
) -> SyncReport:
    stream = stream_obj.name
    lander = _Lander(db, batch, stream_obj)
    drift: list[dict[str, Any]] = []
    try:
        for msg in stream_obj.read(state):
            if isinstance(msg, (SourceRow, SourceFault)):
                lander.add(msg)
                if len(lander.rows) >= chunk_rows:
                    # Landing early without moving the cursor is safe: a re-read dedups by hash.
                    lander.flush()
            elif isinstance(msg, StateCheckpoint):
                lander.flush(msg.state)
            elif isinstance(msg, SchemaDrift):
                entry = msg.model_dump(exclude={"kind"})
                drift.append(entry)
                log.warning(
                    "schema drift in %s/%s at %s: added %s, missing %s",
                    connector.name,
                    stream,
                    msg.location,
                    msg.added,
                    msg.missing,
                )
        lander.flush()
        lander.report.status = "landed"
    except Exception as exc:
        lander.flush()  # what was fetched lands before the error propagates
        lander.report.status = "failed"
        lander.report.error = str(exc)
        lander.report.error_type = type(exc).__name__
        lander.report.drift = drift
        _finish_batch(db, lander.report, drift)
        log.error("sync failed: department=%s stream=%s batch=%s: %s", connector.name, stream, batch.id, exc)
        raise
    lander.report.drift = drift
    _finish_batch(db, lander.report, drift)
    return lander.report


def sync_department(
    db: Database, connector: Connector, *, full: bool = False, raise_errors: bool = True,
    lock_timeout: float | None = None, chunk_rows: int = CHUNK_SIZE,
) -> list[SyncReport]:
    """Sync every stream of a department; one failing stream does not stop the others.

    With `raise_errors`, the first error is re-raised after all streams ran.
    """
    reports: list[SyncReport] = []
    first_error: Exception | None = None
    for stream in connector.stream_instances():
        try:
            reports.append(sync_stream(db, connector, stream.name, full=full, lock_timeout=lock_timeout,
                                           chunk_rows=chunk_rows))
        except Exception as exc:  # noqa: BLE001 - recorded on the batch, re-raised below
            first_error = first_error or exc
            with db.session() as s:
                batch = s.scalars(
                    select(SyncBatch)
                    .where(SyncBatch.department == connector.name, SyncBatch.stream == stream.name)
                    .order_by(SyncBatch.id.desc())
                    .limit(1)
                ).one()
                reports.append(
                    SyncReport(
                        batch_id=batch.id,
                        department=connector.name,
                        stream=stream.name,
                        status="failed",
                        rows_fetched=batch.rows_fetched,
                        rows_new=batch.rows_new,
                        rows_faulty=batch.rows_faulty,
                        error=str(exc),
                        error_type=type(exc).__name__,
                    )
                )
    if first_error is not None and raise_errors:
        raise first_error
    return reports
