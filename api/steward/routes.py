"""Steward JSON API under /api/v1/steward. Errors are typed exceptions mapped to RFC 9457
problem+json by api/errors.py (401 bad/revoked token, 403 foreign department filter,
404 record not visible, 409 stale version, 422 refused edit with its failures)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.params import IdPath, OptionalIdQuery
from api.steward.deps import api_principal, get_service
from credithub.stewardship.models import (
    ActionResult,
    ApproveRequest,
    AuditEntry,
    AuditFilter,
    BatchDecision,
    BulkFixRequest,
    BulkRejectRequest,
    BulkResult,
    FixRequest,
    HeldBatch,
    QueueFilter,
    PendingChangeInfo,
    QueuePage,
    RecordDetail,
    RejectChangeRequest,
    RejectRequest,
    ReleaseNowResult,
    ValidationRunInfo,
)
from credithub.stewardship.service import StewardService
from credithub.stewardship.tokens import Principal

try:  # the API engineer's problem+json docs; optional so this router stands alone
    from api.errors import problem_responses
except ImportError:  # pragma: no cover
    def problem_responses(*statuses: int) -> dict:  # type: ignore[misc]
        return {}

router = APIRouter(prefix="/api/v1/steward", tags=["steward"],
                   responses=problem_responses(401, 403, 404, 409, 422))

Me = Annotated[Principal, Depends(api_principal)]
Service = Annotated[StewardService, Depends(get_service)]


class AuditPage(BaseModel):
    items: list[AuditEntry]
    total: int
    page: int
    page_size: int


@router.get("/me", response_model=Principal, summary="The signed-in steward")
def me(principal: Me) -> Principal:
    return principal


@router.get("/queue", response_model=QueuePage, summary="Quarantine queue (filter by batch, expectation, field, age)")
def queue(principal: Me, service: Service, flt: Annotated[QueueFilter, Query()]) -> QueuePage:
    return service.queue(principal, flt)


@router.get("/records/{record_id}", response_model=RecordDetail,
            summary="A staged record: failures beside its raw source row")
def record(record_id: IdPath, principal: Me, service: Service) -> RecordDetail:
    return service.record(principal, record_id)


@router.post("/records/{record_id}/fix", response_model=ActionResult,
             summary="Edit fields; re-validated at once; released if it passes",
             description="A fix that changes an identity field (settings.steward_identity_fields) is not "
                         "released: it answers 202 with status awaiting_approval and a pending_change_id, "
                         "and waits for a second steward (POST /changes/{id}/approve).",
             responses={202: {"model": ActionResult, "description": "Stored; awaits a second steward"}})
def fix(record_id: IdPath, body: FixRequest, principal: Me, service: Service, response: Response) -> ActionResult:
    result = service.fix(principal, record_id, body.version, body.changes, body.note)
    if result.pending_change_id is not None:
        response.status_code = 202
    return result


@router.post("/records/{record_id}/reject", response_model=ActionResult, summary="Reject with a reason")
def reject(record_id: IdPath, body: RejectRequest, principal: Me, service: Service) -> ActionResult:
    return service.reject(principal, record_id, body.version, body.reason)


@router.post("/records/{record_id}/release-now", response_model=ReleaseNowResult,
             summary="Resolve, rebuild and publish the released record's company now")
def release_now(record_id: IdPath, principal: Me, service: Service) -> ReleaseNowResult:
    return service.release_now(principal, record_id)


ChangeId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Pending change id")]


@router.get("/changes", response_model=list[PendingChangeInfo],
            summary="Identity changes awaiting (or decided by) a second steward")
def changes(principal: Me, service: Service, department: str | None = None,
            status: Literal["pending", "approved", "rejected", "stale"] = "pending") -> list[PendingChangeInfo]:
    return service.pending_changes(principal, status=status, department=department)


@router.get("/changes/{change_id}", response_model=PendingChangeInfo, summary="One pending identity change")
def change(change_id: ChangeId, principal: Me, service: Service) -> PendingChangeInfo:
    return service.pending_change(principal, change_id)


@router.post("/changes/{change_id}/approve", response_model=ActionResult,
             summary="Approve another steward's identity change: re-validated and released")
def approve_change(change_id: ChangeId, body: ApproveRequest, principal: Me, service: Service) -> ActionResult:
    return service.approve_change(principal, change_id, body.note)


@router.post("/changes/{change_id}/reject", response_model=PendingChangeInfo,
             summary="Reject (or withdraw) a pending identity change; the record stays quarantined")
def reject_change(change_id: ChangeId, body: RejectChangeRequest, principal: Me,
                  service: Service) -> PendingChangeInfo:
    return service.reject_change(principal, change_id, body.reason)


@router.post("/bulk/fix", response_model=BulkResult, summary="Same correction for many records")
def bulk_fix(body: BulkFixRequest, principal: Me, service: Service) -> BulkResult:
    return service.bulk_fix(principal, body.ids, body.changes, body.note)


@router.post("/bulk/reject", response_model=BulkResult, summary="Reject many records with one reason")
def bulk_reject(body: BulkRejectRequest, principal: Me, service: Service) -> BulkResult:
    return service.bulk_reject(principal, body.ids, body.reason)


@router.get("/batches/held", response_model=list[HeldBatch], summary="Batches held by the hold policy")
def held_batches(principal: Me, service: Service, department: str | None = None) -> list[HeldBatch]:
    return service.held_batches(principal, department)


@router.post("/batches/{batch_id}/decision", summary="Release or reject a held batch")
def decide(batch_id: IdPath, body: BatchDecision, principal: Me, service: Service) -> dict:
    return service.decide_batch(principal, batch_id, body.decision, body.note)


@router.get("/validation-runs", response_model=list[ValidationRunInfo],
            summary="Validation runs (with their Data Docs page under /steward/datadocs/)")
def validation_runs(principal: Me, service: Service, department: str | None = None,
                    batch_id: OptionalIdQuery = None) -> list[ValidationRunInfo]:
    return service.validation_runs(principal, department=department, batch_id=batch_id)


@router.get("/audit", response_model=AuditPage, summary="Audit log (admins)")
def audit(principal: Me, service: Service, flt: Annotated[AuditFilter, Query()]) -> AuditPage:
    items, total = service.audit(principal, flt)
    return AuditPage(items=items, total=total, page=flt.page, page_size=flt.page_size)


@router.get("/audit/export", summary="Export the whole audit log (admins)",
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def audit_export(principal: Me, service: Service,
                 format: Literal["csv", "jsonl"] = "jsonl") -> StreamingResponse:  # noqa: A002
    lines = service.export_audit(principal, format)
    first = next(lines, "")  # runs the permission check before the response starts
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"

    def body():  # type: ignore[no-untyped-def]
        yield first
        yield from lines

    return StreamingResponse(body(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="credithub-audit.{format}"'})
