"""The stewardship service: everything a steward can do, department-scoped and audited.

Every change runs in one transaction together with its audit entry. Records a principal may
not see are reported as not found (never as data, never as 'exists but forbidden').
Optimistic locking: the client sends the version it read; StagedRecord.version is also the
ORM version column, so two writers racing past the explicit check still cannot both win.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from connectors.sdk.base import Stream
from credithub.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from credithub.pipeline.canonical import promote
from credithub.stewardship.approvals import LOCKED_ZH, ApprovalMixin
from credithub.settings import Settings
from credithub.stewardship.models import (
    ActionResult,
    AuditEntry,
    AuditFilter,
    BulkResult,
    HeldBatch,
    QueueFilter,
    QueueItem,
    QueuePage,
    RecordDetail,
    ReleaseNowResult,
    ValidationRunInfo,
)
from credithub.stewardship.tokens import Principal
from credithub.storage.db import Database
from credithub.storage.tables import (
    AuditLog,
    CanonicalRecordRow,
    EntityLink,
    RawRecord,
    StagedRecord,
    SyncBatch,
    ValidationRun,
    utcnow,
)
from credithub.validation.datadocs import resolve_docs_file
from credithub.validation.rows import validate_rows
from credithub.validation.streams import stream_for
from credithub.validation.suites import load_suite, suite_columns

StreamResolver = Callable[[str, str], Stream]
NOT_VISIBLE_ZH = "记录不存在或无权访问"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _item(row: StagedRecord) -> QueueItem:
    return QueueItem(id=row.id, department=row.department, stream=row.stream, batch_id=row.batch_id,
                     source_record_id=row.source_record_id, status=row.status, version=row.version,
                     name=(row.staged or {}).get("name"), failures=list(row.failures or []),
                     created_at=row.created_at, updated_at=row.updated_at)


def _failure_matches(failures: list[dict[str, Any]] | None, expectation: str | None, field: str | None) -> bool:
    for f in failures or []:
        if expectation and f.get("expectation") != expectation:
            continue
        if field and field not in str(f.get("column") or "").split(","):
            continue
        return True
    return False


class StewardService(ApprovalMixin):
    def __init__(self, db: Database, settings: Settings, stream_resolver: StreamResolver | None = None) -> None:
        self.db = db
        self.settings = settings
        self.stream_resolver = stream_resolver or stream_for

    # ------------------------------------------------------------------ reading

    def _scope_department(self, principal: Principal, department: str | None) -> str | None:
        if department is not None and not principal.can_access(department):
            raise PermissionDeniedError("no access to this department", department=department)
        return department if principal.is_admin else principal.department

    def _record(self, s: Session, principal: Principal, staged_id: int) -> StagedRecord:
        row = s.get(StagedRecord, staged_id)
        if row is None or not principal.can_access(row.department):
            raise NotFoundError(NOT_VISIBLE_ZH, record=staged_id)
        return row

    def queue(self, principal: Principal, flt: QueueFilter) -> QueuePage:
        department = self._scope_department(principal, flt.department)
        conds = [StagedRecord.status == flt.status]
        if department is not None:
            conds.append(StagedRecord.department == department)
        if flt.batch_id is not None:
            conds.append(StagedRecord.batch_id == flt.batch_id)
        if flt.source_record_id:
            conds.append(StagedRecord.source_record_id == flt.source_record_id.strip())
        now = utcnow()
        if flt.older_than_hours is not None:
            conds.append(StagedRecord.created_at <= now - dt.timedelta(hours=flt.older_than_hours))
        if flt.newer_than_hours is not None:
            conds.append(StagedRecord.created_at >= now - dt.timedelta(hours=flt.newer_than_hours))
        text = cast(StagedRecord.failures, Text)
        # LIKE narrows on the JSON text whatever its separators ('"key": "value"' from PostgreSQL's
        # jsonb, '"key":"value"' from orjson on SQLite); exact matching is done in Python.
        if flt.expectation:
            conds.append(text.like(f'%"expectation":%"{_like_escape(flt.expectation)}"%', escape="\\"))
        if flt.field:
            conds.append(text.like(f'%"column":%"%{_like_escape(flt.field)}%', escape="\\"))
        with self.db.session() as s:
            if flt.expectation or flt.field:
                candidates = s.execute(
                    select(StagedRecord.id, StagedRecord.failures).where(*conds).order_by(StagedRecord.id)
                ).all()
                ids = [i for i, f in candidates if _failure_matches(f, flt.expectation, flt.field)]
                total = len(ids)
                page_ids = ids[(flt.page - 1) * flt.page_size: flt.page * flt.page_size]
                rows = s.scalars(select(StagedRecord).where(StagedRecord.id.in_(page_ids))
                                 .order_by(StagedRecord.id)).all() if page_ids else []
            else:
                total = s.scalar(select(func.count()).select_from(StagedRecord).where(*conds)) or 0
                rows = s.scalars(select(StagedRecord).where(*conds).order_by(StagedRecord.id)
                                 .offset((flt.page - 1) * flt.page_size).limit(flt.page_size)).all()
            return QueuePage(items=[_item(r) for r in rows], total=total, page=flt.page, page_size=flt.page_size)

    def _fields(self, department: str, stream: str, staged: Mapping[str, Any]) -> list[str]:
        fields: list[str] = []
        try:
            fields.extend(self.stream_resolver(department, stream).fields.values())
        except Exception:  # noqa: BLE001 - an unregistered dataset still shows its suite's fields
            pass
        try:
            fields.extend(suite_columns(load_suite(self.settings.expectations_dir, department, stream)))
        except Exception:  # noqa: BLE001
            pass
        fields.extend(staged)
        return list(dict.fromkeys(fields))

    def record(self, principal: Principal, staged_id: int) -> RecordDetail:
        with self.db.session() as s:
            row = self._record(s, principal, staged_id)
            raw = s.get(RawRecord, row.raw_record_id)
            return RecordDetail(
                **_item(row).model_dump(), staged=dict(row.staged or {}), raw=dict(raw.data) if raw else {},
                raw_location=raw.location if raw else "", raw_fault=raw.fault if raw else None,
                resolution_note=row.resolution_note, resolved_at=row.resolved_at,
                fields=self._fields(row.department, row.stream, row.staged or {}),
                pending_change=self.open_change_of(s, row.id),
            )

    # ------------------------------------------------------------------ fixing

    def _clean_changes(self, row: StagedRecord, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Refuse edits of unknown fields, non-scalar values and the record key; trim text."""
        if not changes:
            raise ValidationFailedError("没有提供任何修改 / no changes given", department=row.department,
                                        record=row.source_record_id)
        allowed = set(self._fields(row.department, row.stream, row.staged or {}))
        stream = self.stream_resolver(row.department, row.stream)
        key_field = stream.primary_key
        out: dict[str, Any] = {}
        problems: list[dict[str, Any]] = []
        for field, value in changes.items():
            if field not in allowed:
                problems.append({"column": field, "value": value, "reason_zh": f"字段 {field} 不属于该数据集"})
                continue
            if field == key_field and (row.staged or {}).get(key_field) not in (None, "") \
                    and value != row.staged.get(key_field):
                problems.append({"column": field, "value": value,
                                 "reason_zh": f"记录编号（{field}）是来源记录的标识，不能修改"})
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
                problems.append({"column": field, "value": repr(value)[:200],
                                 "reason_zh": f"字段 {field} 的值类型错误：应为文本、数字或空值"})
                continue
            if isinstance(value, str):
                value = value.strip() or None
            out[field] = value
        if problems:
            raise ValidationFailedError("修改被拒绝：输入格式错误 / malformed edit", department=row.department,
                                        batch=row.batch_id, record=row.source_record_id, failures=problems)
        return out

    def _revalidate(self, rows: list[StagedRecord], new_values: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
        """Failures by position, running the dataset's own suite over the edited rows at once."""
        first = rows[0]
        outcome = validate_rows(self.settings, first.department, first.stream, new_values)
        failures = dict(outcome.row_failures)
        if outcome.batch_failures:
            for pos in range(len(rows)):
                failures.setdefault(pos, []).extend(outcome.batch_failures)
        return failures

    def _audit(self, s: Session, principal: Principal, action: str, row: StagedRecord | None, *,
               target: str | None = None, department: str | None = None,
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
        s.add(AuditLog(actor=principal.actor, action=action,
                       department=row.department if row is not None else department,
                       target=target or (f"staged:{row.id}" if row is not None else None),
                       before=before, after=after))

    @staticmethod
    def _snapshot(row: StagedRecord) -> dict[str, Any]:
        return {"staged": dict(row.staged or {}), "status": row.status, "version": row.version,
                "failures": list(row.failures or []), "source_record_id": row.source_record_id,
                "batch_id": row.batch_id, "stream": row.stream}

    def _release(self, s: Session, principal: Principal, row: StagedRecord, new_staged: dict[str, Any],
                 note: str | None, action: str, extra: dict[str, Any] | None = None) -> ActionResult:
        before = self._snapshot(row)
        row.staged = new_staged
        row.status = "released"
        row.failures = None
        row.resolved_at = utcnow()
        row.resolution_note = note or f"fixed by {principal.actor}"
        canonical = promote(s, row, self.stream_resolver(row.department, row.stream))
        s.flush()
        self._audit(s, principal, action, row, before=before,
                    after={**self._snapshot(row), "canonical_record_id": canonical.id, "note": note, **(extra or {})})
        return ActionResult(id=row.id, status=row.status, version=row.version, canonical_record_id=canonical.id)

    def fix(self, principal: Principal, staged_id: int, version: int, changes: Mapping[str, Any],
            note: str | None = None) -> ActionResult:
        """Edit fields, re-validate at once; release and promote if it passes, else refuse and change nothing."""
        with self.db.session() as s:
            row = self._record(s, principal, staged_id)
            if row.version != version:
                raise ConflictError("记录已被他人修改，请刷新后重试 / record changed since you read it",
                                    record=staged_id, expected_version=version, current_version=row.version)
            if row.status != "quarantined":
                raise ConflictError(f"只有隔离中的记录可以修改（当前状态：{row.status}）", record=staged_id,
                                    status=row.status)
            self._refuse_if_locked(s, row)
            clean = self._clean_changes(row, changes)
            new_staged = {**(row.staged or {}), **clean}
            failures = self._revalidate([row], [new_staged]).get(0)
            if failures:
                raise ValidationFailedError("修改后仍未通过校验，未做任何更改 / still fails validation",
                                            department=row.department, batch=row.batch_id,
                                            record=row.source_record_id, failures=failures)
            try:
                identity = self._identity_changes(row, clean)
                if identity:  # four-eyes rule: stored, not released, until a second steward approves
                    return self._propose(s, principal, row, clean, identity, note)
                return self._release(s, principal, row, new_staged, note, "fix")
            except StaleDataError as exc:
                raise ConflictError("记录已被他人修改，请刷新后重试 / concurrent edit", record=staged_id) from exc

    def reject(self, principal: Principal, staged_id: int, version: int, reason: str) -> ActionResult:
        reason = reason.strip()
        if not reason:
            raise ValidationFailedError("驳回必须填写原因 / a rejection needs a reason", record=staged_id)
        with self.db.session() as s:
            row = self._record(s, principal, staged_id)
            if row.version != version:
                raise ConflictError("记录已被他人修改，请刷新后重试 / record changed since you read it",
                                    record=staged_id, expected_version=version, current_version=row.version)
            if row.status not in ("quarantined", "pending"):
                raise ConflictError(f"该记录当前状态不能驳回（{row.status}）", record=staged_id, status=row.status)
            self._refuse_if_locked(s, row)
            before = self._snapshot(row)
            row.status, row.resolved_at, row.resolution_note = "rejected", utcnow(), reason
            try:
                s.flush()
            except StaleDataError as exc:
                raise ConflictError("记录已被他人修改，请刷新后重试 / concurrent edit", record=staged_id) from exc
            self._audit(s, principal, "reject", row, before=before, after={**self._snapshot(row), "reason": reason})
            return ActionResult(id=row.id, status=row.status, version=row.version)

    def bulk_fix(self, principal: Principal, ids: list[int], changes: Mapping[str, Any],
                 note: str | None = None) -> BulkResult:
        """The same correction for many records; each one that then passes is released, the rest refused."""
        result = BulkResult()
        with self.db.session() as s:
            rows: list[StagedRecord] = []
            for sid in dict.fromkeys(ids):
                row = s.get(StagedRecord, sid)
                if row is None or not principal.can_access(row.department):
                    result.refused.append(ActionResult(id=sid, status="not_found", version=0,
                                                       failures=[{"reason_zh": NOT_VISIBLE_ZH}]))
                elif row.status != "quarantined":
                    result.refused.append(ActionResult(id=sid, status=row.status, version=row.version, failures=[
                        {"reason_zh": f"只有隔离中的记录可以修改（当前状态：{row.status}）"}]))
                elif self._open_change(s, row.id) is not None:
                    result.refused.append(ActionResult(id=sid, status=row.status, version=row.version,
                                                       failures=[{"reason_zh": LOCKED_ZH}]))
                else:
                    rows.append(row)
            groups: dict[tuple[str, str], list[StagedRecord]] = {}
            for row in rows:
                groups.setdefault((row.department, row.stream), []).append(row)
            for group in groups.values():
                clean = self._clean_changes(group[0], changes)
                new_values = [{**(r.staged or {}), **clean} for r in group]
                failures = self._revalidate(group, new_values)
                for pos, row in enumerate(group):
                    identity = self._identity_changes(row, clean)
                    if failures.get(pos):
                        result.refused.append(ActionResult(id=row.id, status=row.status, version=row.version,
                                                           failures=failures[pos]))
                    elif identity:
                        result.done.append(self._propose(s, principal, row, clean, identity, note))
                    else:
                        result.done.append(self._release(s, principal, row, new_values[pos], note, "bulk_fix"))
        return result

    def bulk_reject(self, principal: Principal, ids: list[int], reason: str) -> BulkResult:
        reason = reason.strip()
        if not reason:
            raise ValidationFailedError("驳回必须填写原因 / a rejection needs a reason")
        result = BulkResult()
        with self.db.session() as s:
            for sid in dict.fromkeys(ids):
                row = s.get(StagedRecord, sid)
                if row is None or not principal.can_access(row.department):
                    result.refused.append(ActionResult(id=sid, status="not_found", version=0,
                                                       failures=[{"reason_zh": NOT_VISIBLE_ZH}]))
                    continue
                if row.status not in ("quarantined", "pending"):
                    result.refused.append(ActionResult(id=sid, status=row.status, version=row.version, failures=[
                        {"reason_zh": f"该记录当前状态不能驳回（{row.status}）"}]))
                    continue
                if self._open_change(s, row.id) is not None:
                    result.refused.append(ActionResult(id=sid, status=row.status, version=row.version,
                                                       failures=[{"reason_zh": LOCKED_ZH}]))
                    continue
                before = self._snapshot(row)
                row.status, row.resolved_at, row.resolution_note = "rejected", utcnow(), reason
                s.flush()
                self._audit(s, principal, "bulk_reject", row, before=before,
                            after={**self._snapshot(row), "reason": reason})
                result.done.append(ActionResult(id=row.id, status=row.status, version=row.version))
        return result

    # ------------------------------------------------------------------ batches and runs

    def held_batches(self, principal: Principal, department: str | None = None) -> list[HeldBatch]:
        department = self._scope_department(principal, department)
        with self.db.session() as s:
            q = select(SyncBatch).where(SyncBatch.status == "held").order_by(SyncBatch.id)
            if department is not None:
                q = q.where(SyncBatch.department == department)
            out = []
            for b in s.scalars(q):
                pending = s.scalar(select(func.count()).select_from(StagedRecord).where(
                    StagedRecord.batch_id == b.id, StagedRecord.status == "pending")) or 0
                run = s.scalar(select(ValidationRun).where(ValidationRun.batch_id == b.id)
                               .order_by(ValidationRun.id.desc()).limit(1))
                out.append(HeldBatch(id=b.id, department=b.department, stream=b.stream, status=b.status,
                                     hold_reason=b.hold_reason, rows_fetched=b.rows_fetched, pending=pending,
                                     started_at=b.started_at, validation_run_id=run.id if run else None,
                                     datadocs_path=run.datadocs_path if run else None))
            return out

    def decide_batch(self, principal: Principal, batch_id: int, decision: str, note: str) -> dict[str, Any]:
        """A steward's decision on a held batch: release (validate and promote) or reject its pending rows."""
        with self.db.session() as s:
            batch = s.get(SyncBatch, batch_id)
            if batch is None or not principal.can_access(batch.department):
                raise NotFoundError("批次不存在或无权访问", batch=batch_id)
            if batch.status != "held":
                raise ConflictError(f"批次未处于暂缓状态（{batch.status}）", batch=batch_id, status=batch.status)
            department, stream, hold_reason = batch.department, batch.stream, batch.hold_reason
        if decision == "release":
            from credithub.pipeline.validate import validate_batch

            report = validate_batch(self.db, self.settings, batch_id, apply_hold_policy=False,
                                    stream=self.stream_resolver(department, stream))
            outcome = report.model_dump(mode="json")
        elif decision == "reject":
            with self.db.session() as s:
                batch = s.get(SyncBatch, batch_id)
                assert batch is not None
                rows = s.scalars(select(StagedRecord).where(StagedRecord.batch_id == batch_id,
                                                            StagedRecord.status == "pending")).all()
                for row in rows:
                    row.status, row.resolved_at, row.resolution_note = "rejected", utcnow(), note
                batch.status = "rejected"
                outcome = {"batch_id": batch_id, "status": "rejected", "rejected": len(rows)}
        else:
            raise ValidationFailedError("decision must be release or reject", field="decision", value=decision)
        with self.db.session() as s:
            self._audit(s, principal, f"batch_{decision}", None, target=f"batch:{batch_id}", department=department,
                        before={"status": "held", "hold_reason": hold_reason},
                        after={**outcome, "note": note})
        return outcome

    def validation_runs(self, principal: Principal, *, department: str | None = None,
                        batch_id: int | None = None, limit: int = 100) -> list[ValidationRunInfo]:
        department = self._scope_department(principal, department)
        with self.db.session() as s:
            q = select(ValidationRun).order_by(ValidationRun.id.desc()).limit(limit)
            if department is not None:
                q = q.where(ValidationRun.department == department)
            if batch_id is not None:
                q = q.where(ValidationRun.batch_id == batch_id)
            return [ValidationRunInfo(id=r.id, batch_id=r.batch_id, department=r.department, suite=r.suite,
                                      success=r.success, evaluated=r.evaluated, failed=r.failed,
                                      created_at=r.created_at, datadocs_path=r.datadocs_path) for r in s.scalars(q)]

    def datadocs_file(self, principal: Principal, rel_path: str) -> Path:
        """The Data Docs file behind a URL path, if this principal may read it.

        The path is resolved first (realpath: `..`, decoded `%2e%2e`/`%2F`, symlinks) and refused if it
        leaves the site; the owning department is read from the RESOLVED path, so `static/../…` is
        judged by where it lands, not by how it starts."""
        if "\x00" in rel_path:
            raise NotFoundError("no such Data Docs page", path=rel_path.replace("\x00", ""))
        root = self.settings.datadocs_dir.resolve()
        path = resolve_docs_file(root, rel_path)
        if not self.datadocs_visible(principal, path.relative_to(root).as_posix()):
            raise NotFoundError("no such Data Docs page", path=rel_path)
        return path

    def datadocs_visible(self, principal: Principal, rel_path: str) -> bool:
        """Data Docs pages of a dataset are visible to that department's stewards (and admins).

        `rel_path` must already be resolved inside the site (see datadocs_file)."""
        if principal.is_admin:
            return True
        parts = rel_path.strip("/").split("/")
        if parts[0] == "static":
            return True
        # index.html lists every dataset's runs: admins only.
        # validations/<department>/<stream>/… and expectations/<department>/<stream>.html (suite name = dept.stream)
        return len(parts) >= 2 and parts[0] in ("validations", "expectations") and parts[1] == principal.department

    # ------------------------------------------------------------------ release now

    def release_now(self, principal: Principal, staged_id: int) -> ReleaseNowResult:
        """Resolve, rebuild the profile of and publish the entity of a released record, at once."""
        from credithub.pipeline.profiles import build_profiles
        from credithub.pipeline.publish import publish_profiles
        from credithub.pipeline.resolve import resolve_pending

        with self.db.session() as s:
            row = self._record(s, principal, staged_id)
            pending = self._open_change(s, row.id)
            if pending is not None:
                raise ConflictError("该记录的身份字段修改正在等待另一名治理员审批，审批通过前不能立即发布 / "
                                    "an identity change awaits a second steward's approval",
                                    record=staged_id, change=pending.id)
            if row.status not in ("released", "passed"):
                raise ConflictError(f"只有已放行的记录可以立即发布（当前状态：{row.status}）", record=staged_id)
            canonical_id = s.scalar(select(CanonicalRecordRow.id).where(
                CanonicalRecordRow.department == row.department, CanonicalRecordRow.dataset == row.stream,
                CanonicalRecordRow.source_record_id == row.source_record_id))
            if canonical_id is None:
                raise NotFoundError("该记录没有标准记录", record=staged_id)
        resolve = resolve_pending(self.db, self.settings)
        with self.db.session() as s:
            entity_ids = list(s.scalars(select(EntityLink.entity_id).where(
                EntityLink.canonical_record_id == canonical_id)))
        profiles = build_profiles(self.db, self.settings, entity_ids=entity_ids or None)
        publish = publish_profiles(self.db, self.settings)
        result = ReleaseNowResult(id=staged_id, entity_ids=entity_ids, resolve=resolve.model_dump(mode="json"),
                                  profiles=profiles.model_dump(mode="json"), publish=publish.model_dump(mode="json"))
        with self.db.session() as s:
            row = s.get(StagedRecord, staged_id)
            self._audit(s, principal, "release_now", row, before=None,
                        after={"entity_ids": entity_ids, "canonical_record_id": canonical_id})
        return result

    # ------------------------------------------------------------------ audit

    def _require_admin(self, principal: Principal) -> None:
        if not principal.is_admin:
            raise PermissionDeniedError("审计日志仅管理员可见 / the audit log is for admins", steward=principal.steward_id)

    def audit(self, principal: Principal, flt: AuditFilter) -> tuple[list[AuditEntry], int]:
        self._require_admin(principal)
        conds = []
        if flt.department:
            conds.append(AuditLog.department == flt.department)
        if flt.action:
            conds.append(AuditLog.action == flt.action)
        if flt.actor:
            conds.append(AuditLog.actor == flt.actor)
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(AuditLog).where(*conds)) or 0
            rows = s.scalars(select(AuditLog).where(*conds).order_by(AuditLog.id.desc())
                             .offset((flt.page - 1) * flt.page_size).limit(flt.page_size)).all()
            return [AuditEntry.model_validate(r, from_attributes=True) for r in rows], total

    def export_audit(self, principal: Principal, fmt: str) -> Iterator[str]:
        """The whole log, oldest first, as JSON lines or CSV (streamed in pages)."""
        self._require_admin(principal)
        if fmt not in ("jsonl", "csv"):
            raise ValidationFailedError("format must be csv or jsonl", field="format", value=fmt)
        cols = ["id", "at", "actor", "action", "department", "target", "before", "after"]
        if fmt == "csv":
            buf = io.StringIO()
            csv.writer(buf).writerow(cols)
            yield buf.getvalue()
        last = 0
        while True:
            with self.db.session() as s:
                rows = s.scalars(select(AuditLog).where(AuditLog.id > last).order_by(AuditLog.id).limit(1000)).all()
                entries = [AuditEntry.model_validate(r, from_attributes=True).model_dump(mode="json") for r in rows]
            if not entries:
                return
            last = entries[-1]["id"]
            for e in entries:
                if fmt == "jsonl":
                    yield json.dumps(e, ensure_ascii=False) + "\n"
                else:
                    buf = io.StringIO()
                    csv.writer(buf).writerow([
                        json.dumps(e[c], ensure_ascii=False) if isinstance(e[c], (dict, list)) else e[c]
                        for c in cols])
                    yield buf.getvalue()
