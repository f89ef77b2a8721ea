"""Pydantic boundaries of the stewardship service (also the steward API's JSON shapes)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

FieldValue = str | int | float | None

# Bounds of what the database can hold, checked at the boundary so they answer 422, not 500.
DB_ID_MAX = 2**63 - 1  # ids are BIGINT
VERSION_MAX = 2**31 - 1  # record versions are INTEGER
PAGE_MAX = 1_000_000
HOURS_MAX = 24 * 366 * 100.0  # a century; timedelta overflows far above, at about 2.4e10 hours
DbId = Annotated[int, Field(ge=1, le=DB_ID_MAX)]
Version = Annotated[int, Field(ge=0, le=VERSION_MAX)]
Hours = Annotated[float, Field(ge=0, le=HOURS_MAX, allow_inf_nan=False)]


def _finite_scalars(changes: dict[str, Any]) -> dict[str, Any]:
    """A changed value may be any number, but a finite one that fits 64 bits (JSON parsers accept NaN)."""
    for field, value in changes.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{field}: the value must be a finite number")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > DB_ID_MAX:
            raise ValueError(f"{field}: the value must fit in 64 bits")
    return changes


Changes = Annotated[dict[str, Any], AfterValidator(_finite_scalars)]


class QueueFilter(BaseModel):
    department: str | None = Field(None, description="Admins only pick a department; stewards see their own.")
    batch_id: DbId | None = None
    source_record_id: str | None = Field(None, description="The source's record id (exact).")
    expectation: str | None = Field(None, description="Failed expectation type, e.g. expect_column_values_to_be_valid_uscc")
    field: str | None = Field(None, description="Failed column, e.g. uscc")
    older_than_hours: Hours | None = Field(None, description="Only records waiting at least this long.")
    newer_than_hours: Hours | None = Field(None, description="Only records waiting at most this long.")
    status: Literal["quarantined", "released", "rejected", "pending"] = "quarantined"
    page: int = Field(1, ge=1, le=PAGE_MAX)
    page_size: int = Field(50, ge=1, le=500)


class QueueItem(BaseModel):
    id: int
    department: str
    stream: str
    batch_id: int
    source_record_id: str
    status: str
    version: int
    name: str | None = None
    failures: list[dict[str, Any]] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime


class QueuePage(BaseModel):
    items: list[QueueItem]
    total: int
    page: int
    page_size: int


class RecordDetail(QueueItem):
    staged: dict[str, Any]
    raw: dict[str, Any]
    raw_location: str
    raw_fault: str | None = None
    resolution_note: str | None = None
    resolved_at: dt.datetime | None = None
    fields: list[str] = Field(default_factory=list, description="Editable staged fields of the dataset.")
    pending_change: PendingChangeInfo | None = Field(None, description="An identity change awaiting approval.")


class FixRequest(BaseModel):
    version: Version = Field(description="The record version the steward read (optimistic locking).")
    changes: Changes = Field(description="Field -> new value (text, number or null).")
    note: str | None = None


class RejectRequest(BaseModel):
    version: Version
    reason: str = Field(min_length=1)


class BulkFixRequest(BaseModel):
    ids: list[DbId] = Field(min_length=1, max_length=1000)
    changes: Changes
    note: str | None = None


class BulkRejectRequest(BaseModel):
    ids: list[DbId] = Field(min_length=1, max_length=1000)
    reason: str = Field(min_length=1)


class ActionResult(BaseModel):
    id: int
    status: str = Field(description="The record's status; awaiting_approval when an identity change waits "
                                    "for a second steward (see pending_change_id).")
    version: int
    failures: list[dict[str, Any]] = Field(default_factory=list)
    canonical_record_id: int | None = None
    pending_change_id: int | None = None


class PendingChangeInfo(BaseModel):
    """A steward's fix of identity fields waiting for (or decided by) a second steward."""

    id: int
    staged_record_id: int
    department: str
    stream: str
    source_record_id: str
    record_version: int
    changes: dict[str, Any] = Field(description="Every field the fix sets (identity fields and others).")
    identity_fields: list[str] = Field(description="The identity fields among them: why approval is needed.")
    current: dict[str, Any] = Field(description="The record's values of those fields now.")
    note: str | None = None
    proposed_by: int
    proposer: str
    proposed_at: dt.datetime
    status: Literal["pending", "approved", "rejected", "stale"]
    decided_by: int | None = None
    decider: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str | None = None


class ApproveRequest(BaseModel):
    note: str | None = Field(None, max_length=2000)


class RejectChangeRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class BulkResult(BaseModel):
    done: list[ActionResult] = Field(default_factory=list)
    refused: list[ActionResult] = Field(default_factory=list)


class BatchDecision(BaseModel):
    decision: Literal["release", "reject"]
    note: str = Field(min_length=1)


class HeldBatch(BaseModel):
    id: int
    department: str
    stream: str
    status: str
    hold_reason: str | None
    rows_fetched: int
    pending: int
    started_at: dt.datetime
    validation_run_id: int | None = None
    datadocs_path: str | None = None


class ValidationRunInfo(BaseModel):
    id: int
    batch_id: int
    department: str
    suite: str
    success: bool
    evaluated: int
    failed: int
    created_at: dt.datetime
    datadocs_path: str | None = None


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    department: str | None
    target: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditFilter(BaseModel):
    department: str | None = None
    action: str | None = None
    actor: str | None = None
    page: int = Field(1, ge=1, le=PAGE_MAX)
    page_size: int = Field(100, ge=1, le=1000)


class ReleaseNowResult(BaseModel):
    id: int
    entity_ids: list[str]
    resolve: dict[str, Any]
    profiles: dict[str, Any]
    publish: dict[str, Any]
