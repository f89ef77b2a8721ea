"""Promote a validated staged row to the canonical record of its source record.

One canonical row per (department, dataset, source record id): a newer version of the
source record replaces the older one and is re-resolved; an identical one changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.sdk.base import Stream
from credithub.errors import ValidationFailedError
from credithub.hashing import content_hash
from credithub.storage.tables import CanonicalRecordRow, StagedRecord


def promote(session: Session, staged: StagedRecord, stream: Stream) -> CanonicalRecordRow:
    """Map `staged` through the stream and upsert its canonical row (idempotent)."""
    try:
        record = stream.to_canonical(staged.staged)
    except Exception as exc:  # noqa: BLE001 - a mapping bug must quarantine the row, not stop the batch
        raise ValidationFailedError(
            f"cannot map record to the canonical form: {exc}",
            department=staged.department,
            batch=staged.batch_id,
            record=staged.source_record_id,
        ) from exc
    data = record.model_dump(mode="json")
    digest = content_hash(data)
    row = session.scalar(
        select(CanonicalRecordRow).where(
            CanonicalRecordRow.department == staged.department,
            CanonicalRecordRow.dataset == stream.name,
            CanonicalRecordRow.source_record_id == staged.source_record_id,
        )
    )
    if row is None:
        row = CanonicalRecordRow(
            staged_record_id=staged.id,
            batch_id=staged.batch_id,
            department=staged.department,
            dataset=stream.name,
            source_record_id=staged.source_record_id,
            data=data,
            content_hash=digest,
            resolved=False,
        )
        session.add(row)
    elif row.content_hash != digest:
        row.data = data
        row.content_hash = digest
        row.staged_record_id = staged.id
        row.batch_id = staged.batch_id
        row.resolved = False
    session.flush()
    return row
