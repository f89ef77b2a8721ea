"""SQLAlchemy 2 ORM models. Schema changes go through Alembic (credithub/storage/migrations).

Record lifecycle: raw_records (exactly as fetched, deduplicated by content hash)
-> staged_records (renamed fields + validation outcome; quarantine is a status here)
-> canonical_records (one per department dataset + source record id, latest version wins)
-> entity_links -> entities -> profiles.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite has no 64-bit autoincrement distinct from INTEGER; PostgreSQL gets BIGSERIAL.
IdType = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JsonType, list[Any]: JsonType}


class SyncBatch(Base):
    """One sync of one department stream: what was fetched, from which cursor, with what outcome."""

    __tablename__ = "sync_batches"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    stream: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # running -> landed -> validated | held -> (published) ; failed on a fatal source error
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    full_refresh: Mapped[bool] = mapped_column(Boolean, default=False)
    cursor_before: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    cursor_after: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    rows_fetched: Mapped[int] = mapped_column(Integer, default=0)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_faulty: Mapped[int] = mapped_column(Integer, default=0)
    rows_passed: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    drift: Mapped[list[Any] | None] = mapped_column(JsonType)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class ConnectorState(Base):
    """Durable cursor per department stream; advanced only after the rows before it are landed."""

    __tablename__ = "connector_state"

    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class RawRecord(Base):
    """A source record exactly as fetched. Fetching the same content again adds nothing."""

    __tablename__ = "raw_records"
    __table_args__ = (
        UniqueConstraint("department", "stream", "source_record_id", "content_hash", name="uq_raw_content"),
        Index("ix_raw_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("sync_batches.id"))
    department: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    source_record_id: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    fault: Mapped[str | None] = mapped_column(Text, doc="Parse failure reason; data then holds {'raw': ...}.")
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StagedRecord(Base):
    """A raw record renamed to its dataset's fields, with its validation outcome.

    status: pending | passed | quarantined | released (fixed by a steward) | rejected | superseded
    """

    __tablename__ = "staged_records"
    __table_args__ = (
        Index("ix_staged_dept_status", "department", "status"),
        # Chunked validation reads a batch's pending rows in record-id order (migration 0003).
        Index("ix_staged_batch_pending", "batch_id", "status", "source_record_id", "id"),
        # Sync supersedes older versions of a record by its source id (migration 0003).
        Index("ix_staged_source", "department", "stream", "source_record_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    raw_record_id: Mapped[int] = mapped_column(ForeignKey("raw_records.id"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("sync_batches.id"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    source_record_id: Mapped[str] = mapped_column(String(200))
    staged: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    failures: Mapped[list[Any] | None] = mapped_column(
        JsonType, doc="[{expectation, column, value, reason_zh}] for quarantined rows."
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": version}


class ValidationRun(Base):
    """One great-expectations run over a batch."""

    __tablename__ = "validation_runs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("sync_batches.id"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    suite: Mapped[str] = mapped_column(String(128))
    success: Mapped[bool] = mapped_column(Boolean)
    evaluated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    statistics: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    datadocs_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CanonicalRecordRow(Base):
    """Latest validated version of one source record, in the hub's vocabulary."""

    __tablename__ = "canonical_records"
    __table_args__ = (UniqueConstraint("department", "dataset", "source_record_id", name="uq_canonical_source"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    staged_record_id: Mapped[int] = mapped_column(ForeignKey("staged_records.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("sync_batches.id"))
    department: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(64))
    source_record_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class Entity(Base):
    """One company. Ids are stable; a merged entity keeps a redirect to its survivor."""

    __tablename__ = "entities"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | merged
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("entities.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    dirty: Mapped[bool] = mapped_column(Boolean, default=True, index=True, doc="Profile needs a rebuild.")


class EntityLink(Base):
    __tablename__ = "entity_links"

    canonical_record_id: Mapped[int] = mapped_column(ForeignKey("canonical_records.id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))  # identifier | name | judgment | new
    score: Mapped[float | None] = mapped_column(Float)
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchKey(Base):
    """The persistent match index: one row per blocking key of a resolved canonical record.

    Keys are `entity_resolution.matcher.blocking_keys` (identifier keys and name blocks), stored as
    a signed 64-bit hash (`credithub.pipeline.resolve.match_key_hash`): a fixed-width integer keeps
    the index several times smaller than the text keys, and a hash collision only makes an
    incremental resolve load a few more records than it needs, never fewer. No foreign key on
    purpose: canonical records are never deleted, and a per-row FK check would slow the bulk
    insert of a first load (≈9 rows per record). Without rowid on SQLite: the primary key is the table.
    """

    __tablename__ = "match_keys"
    __table_args__ = (Index("ix_match_keys_record", "canonical_record_id"), {"sqlite_with_rowid": False})

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    canonical_record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class MatchJudgment(Base):
    """A human decision that overrides the matcher: same / not_same / split."""

    __tablename__ = "match_judgments"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    record_a: Mapped[str] = mapped_column(String(300), doc="'department/dataset/source_record_id'")
    record_b: Mapped[str | None] = mapped_column(String(300))
    author: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResolutionFlag(Base):
    """Evidence a steward must look at: e.g. a valid USCC whose name belongs to another company."""

    __tablename__ = "resolution_flags"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    canonical_record_id: Mapped[int | None] = mapped_column(ForeignKey("canonical_records.id"))
    evidence: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProfileRow(Base):
    __tablename__ = "profiles"

    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_hash: Mapped[str | None] = mapped_column(String(64), doc="content_hash last sent to search.")
    public_next_change: Mapped[dt.date | None] = mapped_column(
        Date, index=True, doc="First day the published public view may change by date alone (migration 0005)."
    )


class Steward(Base):
    """A department data steward (department set) or an admin (department null, role admin)."""

    __tablename__ = "stewards"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="steward")  # steward | admin
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16), doc="First characters, to tell tokens apart in lists.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), doc="Token end of life; null (tokens from before 0002) = created_at + policy days."
    )


class StewardSession(Base):
    """A steward console sign-in: the cookie holds a random session id, only its hash is stored."""

    __tablename__ = "steward_sessions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    steward_id: Mapped[int] = mapped_column(ForeignKey("stewards.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), doc="Absolute end of the session.")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PendingChange(Base):
    """A steward's fix of identity fields, waiting for a second steward (four-eyes rule).

    status: pending | approved | rejected | stale (the record changed or was superseded before a decision)
    """

    __tablename__ = "steward_pending_changes"
    __table_args__ = (Index("ix_pending_changes_record_status", "staged_record_id", "status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    staged_record_id: Mapped[int] = mapped_column(ForeignKey("staged_records.id"))
    department: Mapped[str] = mapped_column(String(64), index=True)
    record_version: Mapped[int] = mapped_column(Integer, doc="The record version the change was made against.")
    changes: Mapped[dict[str, Any]] = mapped_column(JsonType)
    identity_fields: Mapped[list[Any]] = mapped_column(JsonType)
    note: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("stewards.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("stewards.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class ScorecardCard(Base):
    """A warning / yellow / red card raised against a department's feed."""

    __tablename__ = "scorecard_cards"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[str] = mapped_column(String(16))  # warning | yellow | red
    metric: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
