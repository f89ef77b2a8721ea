"""Four-eyes rule for identity fields: a steward's fix of a company's name or identifiers
(settings.steward_identity_fields) is stored as a pending change and only released (promoted,
then publishable) when a second, different steward with access to the department (or an admin)
approves it. Proposal, approval and rejection are audited.

While a change is pending its record is locked: it cannot be fixed, rejected or released again,
and release-now answers 409. Proposing bumps the record's version, so forms read before the
proposal are stale; a change whose record moved on before a decision (superseded by a newer
source version, for instance) is marked stale instead of being applied over the new state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credithub.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from credithub.stewardship.models import ActionResult, PendingChangeInfo
from credithub.stewardship.tokens import Principal, principal_of
from credithub.storage.tables import PendingChange, StagedRecord, Steward, utcnow

if TYPE_CHECKING:
    from credithub.settings import Settings
    from credithub.storage.db import Database

AWAITING = "awaiting_approval"
CHANGE_NOT_VISIBLE_ZH = "待审批的修改不存在或无权访问"
LOCKED_ZH = "该记录有待审批的身份字段修改，须先由另一名治理员审批或驳回"


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


class ApprovalMixin:
    """The approval half of StewardService (it relies on the service's _record, _revalidate, _release, _audit)."""

    db: Database
    settings: Settings

    if TYPE_CHECKING:
        def _record(self, s: Session, principal: Principal, staged_id: int) -> StagedRecord: ...
        def _revalidate(self, rows: list[StagedRecord],
                        new_values: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]: ...
        def _release(self, s: Session, principal: Principal, row: StagedRecord, new_staged: dict[str, Any],
                     note: str | None, action: str, extra: dict[str, Any] | None = None) -> ActionResult: ...
        def _audit(self, s: Session, principal: Principal, action: str, row: StagedRecord | None, *,
                   target: str | None = None, department: str | None = None,
                   before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None: ...
        @staticmethod
        def _snapshot(row: StagedRecord) -> dict[str, Any]: ...

    # ------------------------------------------------------------------ used by fixes

    def _identity_changes(self, row: StagedRecord, clean: Mapping[str, Any]) -> list[str]:
        """The identity fields this edit really changes (empty when the rule is switched off)."""
        if not self.settings.steward_two_person_approval:
            return []
        watched = set(self.settings.steward_identity_fields)
        current = row.staged or {}
        return sorted(f for f, v in clean.items() if f in watched and _text(v) != _text(current.get(f)))

    @staticmethod
    def _open_change(s: Session, staged_id: int) -> PendingChange | None:
        return s.scalar(select(PendingChange).where(PendingChange.staged_record_id == staged_id,
                                                    PendingChange.status == "pending").limit(1))

    def _refuse_if_locked(self, s: Session, row: StagedRecord) -> None:
        change = self._open_change(s, row.id)
        if change is not None:
            raise ConflictError(LOCKED_ZH, record=row.id, change=change.id)

    def _propose(self, s: Session, principal: Principal, row: StagedRecord, clean: dict[str, Any],
                 identity: list[str], note: str | None) -> ActionResult:
        self._refuse_if_locked(s, row)
        before = self._snapshot(row)
        row.updated_at = utcnow()  # bumps the version: forms read before the proposal are now stale
        s.flush()
        change = PendingChange(staged_record_id=row.id, department=row.department, record_version=row.version,
                               changes=clean, identity_fields=identity, note=note,
                               proposed_by=principal.steward_id, status="pending")
        s.add(change)
        s.flush()
        self._audit(s, principal, "change_propose", row, before=before,
                    after={"change_id": change.id, "changes": clean, "identity_fields": identity, "note": note})
        return ActionResult(id=row.id, status=AWAITING, version=row.version, pending_change_id=change.id)

    # ------------------------------------------------------------------ reading

    def _change_info(self, s: Session, change: PendingChange) -> PendingChangeInfo:
        row = s.get(StagedRecord, change.staged_record_id)
        assert row is not None
        proposer = s.get(Steward, change.proposed_by)
        decider = s.get(Steward, change.decided_by) if change.decided_by is not None else None
        return PendingChangeInfo(
            id=change.id, staged_record_id=row.id, department=change.department, stream=row.stream,
            source_record_id=row.source_record_id, record_version=change.record_version,
            changes=dict(change.changes), identity_fields=list(change.identity_fields),
            current={f: (row.staged or {}).get(f) for f in change.changes}, note=change.note,
            proposed_by=change.proposed_by, proposer=principal_of(proposer).actor if proposer else "?",
            proposed_at=change.proposed_at, status=change.status,  # type: ignore[arg-type]
            decided_by=change.decided_by, decider=principal_of(decider).actor if decider else None,
            decided_at=change.decided_at, decision_note=change.decision_note)

    def _visible_change(self, s: Session, principal: Principal, change_id: int) -> PendingChange:
        change = s.get(PendingChange, change_id)
        if change is None or not principal.can_access(change.department):
            raise NotFoundError(CHANGE_NOT_VISIBLE_ZH, change=change_id)
        return change

    def pending_changes(self, principal: Principal, *, status: str = "pending",
                        department: str | None = None, limit: int = 200) -> list[PendingChangeInfo]:
        if department is not None and not principal.can_access(department):
            raise PermissionDeniedError("no access to this department", department=department)
        scope = department if principal.is_admin else principal.department
        with self.db.session() as s:
            q = select(PendingChange).where(PendingChange.status == status).order_by(PendingChange.id).limit(limit)
            if scope is not None:
                q = q.where(PendingChange.department == scope)
            return [self._change_info(s, c) for c in s.scalars(q)]

    def pending_change(self, principal: Principal, change_id: int) -> PendingChangeInfo:
        with self.db.session() as s:
            return self._change_info(s, self._visible_change(s, principal, change_id))

    def open_change_of(self, s: Session, staged_id: int) -> PendingChangeInfo | None:
        change = self._open_change(s, staged_id)
        return self._change_info(s, change) if change is not None else None

    # ------------------------------------------------------------------ deciding

    def _decidable(self, s: Session, principal: Principal, change_id: int) -> PendingChange:
        change = self._visible_change(s, principal, change_id)
        if change.status != "pending":
            raise ConflictError(f"该修改已处理（{change.status}）", change=change_id, status=change.status)
        return change

    def approve_change(self, principal: Principal, change_id: int, note: str | None = None) -> ActionResult:
        """A second steward's approval: re-validate and release the record with the proposed values."""
        note = (note or "").strip() or None
        stale = False
        with self.db.session() as s:
            change = self._decidable(s, principal, change_id)
            if change.proposed_by == principal.steward_id:
                raise PermissionDeniedError("不能审批自己提交的修改，须由另一名治理员审批 / "
                                            "a change needs a second steward's approval", change=change_id)
            row = s.get(StagedRecord, change.staged_record_id)
            assert row is not None
            if row.version != change.record_version or row.status != "quarantined":
                stale = True
                change.status, change.decided_by, change.decided_at = "stale", principal.steward_id, utcnow()
                change.decision_note = f"record moved on (status {row.status}, version {row.version})"
                self._audit(s, principal, "change_stale", row,
                            after={"change_id": change.id, "status": row.status, "version": row.version})
            else:
                new_staged = {**(row.staged or {}), **change.changes}
                failures = self._revalidate([row], [new_staged]).get(0)
                if failures:
                    raise ValidationFailedError("修改后仍未通过校验，未做任何更改 / still fails validation",
                                                department=row.department, record=row.source_record_id,
                                                change=change_id, failures=failures)
                proposer = s.get(Steward, change.proposed_by)
                proposer_actor = principal_of(proposer).actor if proposer else f"steward#{change.proposed_by}"
                change.status, change.decided_by, change.decided_at = "approved", principal.steward_id, utcnow()
                change.decision_note = note
                return self._release(
                    s, principal, row, new_staged,
                    change.note or f"fixed by {proposer_actor}, approved by {principal.actor}", "change_approve",
                    extra={"change_id": change.id, "proposed_by": proposer_actor,
                           "identity_fields": list(change.identity_fields), "approval_note": note})
        if stale:
            raise ConflictError("记录在审批前已变更，该修改已失效，请重新修改 / the record changed; change is stale",
                                change=change_id)
        raise AssertionError("unreachable")

    def reject_change(self, principal: Principal, change_id: int, reason: str) -> PendingChangeInfo:
        """Refuse (or, by its proposer, withdraw) a pending change; the record stays quarantined."""
        reason = reason.strip()
        if not reason:
            raise ValidationFailedError("驳回修改必须填写原因 / a rejection needs a reason", change=change_id)
        with self.db.session() as s:
            change = self._decidable(s, principal, change_id)
            row = s.get(StagedRecord, change.staged_record_id)
            change.status, change.decided_by, change.decided_at = "rejected", principal.steward_id, utcnow()
            change.decision_note = reason
            s.flush()
            self._audit(s, principal, "change_reject", row,
                        before={"change_id": change.id, "changes": dict(change.changes),
                                "identity_fields": list(change.identity_fields)},
                        after={"status": "rejected", "reason": reason})
            return self._change_info(s, change)
