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
from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from connectors.sdk.base import Connector, SchemaDrift, SourceFault, SourceRow, StateCheckpoint, Stream
from credithub.hashing import content_hash
from credithub.observability.logs import log_context
from credithub.storage.db import Database
from credithub.storage.tables import ConnectorState, RawRecord, StagedRecord, SyncBatch, utcnow

log = logging.getLogger(__name__)

CHUNK_SIZE = 2000


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

    def _save_state(self, s: Session, state: dict[str, Any]) -> None:
        row = s.get(ConnectorState, (self.batch.department, self.batch.stream))
        if row is None:
            s.add(ConnectorState(department=self.batch.department, stream=self.batch.stream, state=state))
        else:
            row.state = state

    def _land(self, s: Session, msgs: Iterable[SourceRow | SourceFault]) -> None:
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
        keys = list(prepared)
        existing: set[tuple[str, str]] = set()
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            existing.update(
                (r, h)
                for r, h in s.execute(
                    select(RawRecord.source_record_id, RawRecord.content_hash).where(
                        RawRecord.department == dept,
                        RawRecord.stream == stream_name,
                        tuple_(RawRecord.source_record_id, RawRecord.content_hash).in_(part),
                    )
                )
            )
        new_keys = [k for k in keys if k not in existing]
        if not new_keys:
            return
        # A newer version of a source record replaces older, not yet resolved staged versions.
        s.execute(
            update(StagedRecord)
            .where(
                StagedRecord.department == dept,
                StagedRecord.stream == stream_name,
                StagedRecord.source_record_id.in_({k[0] for k in new_keys}),
                StagedRecord.status.in_(("pending", "quarantined")),
            )
            .values(status="superseded", resolution_note="newer version fetched")
        )
        for rid, digest in new_keys:
            msg, data = prepared[(rid, digest)]
            raw = RawRecord(
                batch_id=self.batch.id,
                department=dept,
                stream=stream_name,
                source_record_id=rid,
                content_hash=digest,
                location=msg.location,
                data=data,
                fault=msg.reason if isinstance(msg, SourceFault) else None,
            )
            s.add(raw)
            s.flush()
            if isinstance(msg, SourceRow):
                staged = StagedRecord(
                    raw_record_id=raw.id,
                    batch_id=self.batch.id,
                    department=dept,
                    stream=stream_name,
                    source_record_id=rid,
                    staged=self.stream.stage(data),
                    status="pending",
                )
            else:
                staged = StagedRecord(
                    raw_record_id=raw.id,
                    batch_id=self.batch.id,
                    department=dept,
                    stream=stream_name,
                    source_record_id=rid,
                    staged={},
                    status="quarantined",
                    failures=[_fault_failure(msg)],
                )
            s.add(staged)
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


def sync_stream(db: Database, connector: Connector, stream: str, *, full: bool = False) -> SyncReport:
    """Read one stream after its saved cursor (everything when `full`) and land it raw.

    Raises the source's error after recording it on the batch, so callers (Airflow) can
    decide to retry; everything fetched before the error has landed.
    """
    stream_obj = connector.stream(stream)
    batch, state = _start_batch(db, connector.name, stream, full)
    with log_context(department=connector.name, batch=batch.id, stream=stream, stage="sync"):
        return _read_and_land(db, connector, stream_obj, batch, state)


def _read_and_land(
    db: Database, connector: Connector, stream_obj: Stream, batch: SyncBatch, state: dict[str, Any] | None
) -> SyncReport:
    stream = stream_obj.name
    lander = _Lander(db, batch, stream_obj)
    drift: list[dict[str, Any]] = []
    try:
        for msg in stream_obj.read(state):
            if isinstance(msg, (SourceRow, SourceFault)):
                lander.add(msg)
                if len(lander.rows) >= CHUNK_SIZE:
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
    db: Database, connector: Connector, *, full: bool = False, raise_errors: bool = True
) -> list[SyncReport]:
    """Sync every stream of a department; one failing stream does not stop the others.

    With `raise_errors`, the first error is re-raised after all streams ran.
    """
    reports: list[SyncReport] = []
    first_error: Exception | None = None
    for stream in connector.stream_instances():
        try:
            reports.append(sync_stream(db, connector, stream.name, full=full))
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
