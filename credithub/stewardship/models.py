"""Pydantic boundaries of the stewardship service (also the steward API's JSON shapes)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

FieldValue = str | int | float | None


class QueueFilter(BaseModel):
    department: str | None = Field(None, description="Admins only pick a department; stewards see their own.")
    batch_id: int | None = None
    source_record_id: str | None = Field(None, description="The source's record id (exact).")
    expectation: str | None = Field(None, description="Failed expectation type, e.g. expect_column_values_to_be_valid_uscc")
    field: str | None = Field(None, description="Failed column, e.g. uscc")
    older_than_hours: float | None = Field(None, ge=0, description="Only records waiting at least this long.")
    newer_than_hours: float | None = Field(None, ge=0, description="Only records waiting at most this long.")
    status: Literal["quarantined", "released", "rejected", "pending"] = "quarantined"
    page: int = Field(1, ge=1)
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


class FixRequest(BaseModel):
    version: int = Field(description="The record version the steward read (optimistic locking).")
    changes: dict[str, Any] = Field(description="Field -> new value (text, number or null).")
    note: str | None = None


class RejectRequest(BaseModel):
    version: int
    reason: str = Field(min_length=1)


class BulkFixRequest(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=1000)
    changes: dict[str, Any]
    note: str | None = None


class BulkRejectRequest(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=1000)
    reason: str = Field(min_length=1)


class ActionResult(BaseModel):
    id: int
    status: str
    version: int
    failures: list[dict[str, Any]] = Field(default_factory=list)
    canonical_record_id: int | None = None


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
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=1000)


class ReleaseNowResult(BaseModel):
    id: int
    entity_ids: list[str]
    resolve: dict[str, Any]
    profiles: dict[str, Any]
    publish: dict[str, Any]
