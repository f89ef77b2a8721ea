"""Promote a validated staged row to the canonical record of its source record.

One canonical row per (department, dataset, source record id): a newer version of the
source record replaces the older one and is re-resolved; an identical one changes nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from connectors.sdk.base import Stream
from credithub.errors import ValidationFailedError
from credithub.hashing import content_hash
from credithub.storage.bulk import bulk_insert
from credithub.storage.tables import CanonicalRecordRow, StagedRecord, utcnow

# Keys per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
_IN_CHUNK = 2000


def promote(session: Session, staged: StagedRecord, stream: Stream) -> CanonicalRecordRow:
    """Map one staged row (a steward's release) and upsert its canonical row: `promote_many` for one."""
    errors = promote_many(
        session,
        [Promotion(staged_id=staged.id, source_record_id=staged.source_record_id, staged=staged.staged)],
        department=staged.department, dataset=stream.name, batch_id=staged.batch_id, stream=stream,
    )
    if errors:
        raise ValidationFailedError(errors[staged.id], department=staged.department, batch=staged.batch_id,
                                    record=staged.source_record_id)
    # populate_existing: the upsert ran as SQL, so an instance already in the session must be refreshed.
    return session.scalars(
        select(CanonicalRecordRow)
        .where(CanonicalRecordRow.department == staged.department, CanonicalRecordRow.dataset == stream.name,
               CanonicalRecordRow.source_record_id == staged.source_record_id)
        .execution_options(populate_existing=True)
    ).one()


class Promotion(BaseModel):
    """One validated staged row on its way to the canonical table."""

    staged_id: int
    source_record_id: str
    staged: dict[str, Any]


def promote_many(
    session: Session, rows: list[Promotion], *, department: str, dataset: str, batch_id: int, stream: Stream
) -> dict[int, str]:
    """Upsert the canonical rows of many staged rows with a few set-based statements.

    Returns {staged id: reason} for rows whose mapping failed (the caller quarantines them);
    an identical canonical record is left untouched, a changed one replaced and re-resolved.
    """
    errors: dict[int, str] = {}
    latest: dict[str, tuple[int, dict[str, Any], str]] = {}
    for row in rows:
        try:
            data = stream.to_canonical(row.staged).model_dump(mode="json")
        except Exception as exc:  # noqa: BLE001 - a mapping bug must quarantine the row, not stop the batch
            errors[row.staged_id] = f"cannot map record to the canonical form: {exc}"
            continue
        latest[row.source_record_id] = (row.staged_id, data, content_hash(data))
    if not latest:
        return errors
    table = CanonicalRecordRow.__table__
    existing: dict[str, tuple[int, str]] = {}
    ids = list(latest)
    for start in range(0, len(ids), _IN_CHUNK):
        part = ids[start : start + _IN_CHUNK]
        existing.update(
            (rid, (cid, digest))
            for cid, rid, digest in session.execute(
                select(table.c.id, table.c.source_record_id, table.c.content_hash).where(
                    table.c.department == department, table.c.dataset == dataset, table.c.source_record_id.in_(part)
                )
            )
        )
    now = utcnow()
    inserts = [
        {"staged_record_id": sid, "batch_id": batch_id, "department": department, "dataset": dataset,
         "source_record_id": rid, "data": data, "content_hash": digest, "resolved": False, "updated_at": now}
        for rid, (sid, data, digest) in latest.items() if rid not in existing
    ]
    updates = [
        {"p_id": existing[rid][0], "p_staged": sid, "p_batch": batch_id, "p_data": data, "p_hash": digest}
        for rid, (sid, data, digest) in latest.items() if rid in existing and existing[rid][1] != digest
    ]
    bulk_insert(session, table, inserts)
    if updates:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("p_id"))
            .values(staged_record_id=bindparam("p_staged"), batch_id=bindparam("p_batch"), data=bindparam("p_data"),
                    content_hash=bindparam("p_hash"), resolved=False, updated_at=now),
            updates,
        )
    return errors
