"""Resolve stage: unresolved canonical records -> entities and entity links.

A thin database adapter over entity_resolution.matcher (the in-memory matcher the
standalone `credithub resolve` command also uses):
1. load stored state: every resolved record under its stored entity, stored merge redirects;
2. make the stored state obey the stewards' judgments (same / not_same / split);
3. match the unresolved records incrementally (new records join existing entities);
4. write new entities, links, merges (status='merged', merged_into=survivor, links moved),
   flags for the stewards, mark touched entities dirty, mark the records resolved.

Idempotent: a second run with nothing new changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from credithub.pipeline.failpoints import fail_point
from credithub.pipeline.locks import ENTITIES, stage_lock
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    AuditLog,
    CanonicalRecordRow,
    Entity,
    EntityLink,
    MatchJudgment,
    ResolutionFlag,
    utcnow,
)
from entity_resolution.matcher import (
    Decision,
    Judgments,
    MatcherConfig,
    MatchRecord,
    Resolver,
)

FLAG_REASONS_ZH = {
    "invalid_identifier": "证照号码未通过校验，未用于企业归并（仅作为证据保留）",
    "identifier_name_conflict": "证照号码指向的企业与本记录的企业名称明显不符，请核实",
    "identifier_conflict": "本记录的多个证照号码分别指向不同企业，未合并",
    "ambiguous_name": "企业名称与多家企业相近，无法自动确定归属",
}


RESOLVE_ACTOR = "pipeline.resolve"
RESOLVE_ACTION = "resolve"
# Keys per IN (...) list and rows per executemany: bounded statements at any size.
_IN_CHUNK = 1000
_WRITE_CHUNK = 20_000


class ResolveReport(BaseModel):
    records: int = Field(0, description="Unresolved canonical records processed.")
    linked_identifier: int = 0
    linked_name: int = 0
    linked_judgment: int = 0
    new_entities: int = 0
    merges: int = 0
    moved_by_judgment: int = 0
    flags: int = 0
    entities_touched: int = 0
    seconds: float = 0.0


def record_key(department: str, dataset: str, source_record_id: str) -> str:
    """The key judgments use: 'department/dataset/source_record_id'."""
    return f"{department}/{dataset}/{source_record_id}"


def load_judgments(session: Session) -> Judgments:
    """Latest judgment per record pair wins (a steward may undo an earlier decision)."""
    pairs: dict[frozenset[str], tuple[str, str, str]] = {}
    split: set[str] = set()
    for j in session.scalars(select(MatchJudgment).order_by(MatchJudgment.created_at, MatchJudgment.id)):
        if j.kind == "split":
            split.add(j.record_a)
        elif j.kind in ("same", "not_same") and j.record_b and j.record_b != j.record_a:
            # "same": record_a belongs with record_b (it moves if the two entities cannot merge).
            pairs[frozenset((j.record_a, j.record_b))] = (j.kind, j.record_a, j.record_b)
            split.discard(j.record_a)
    judgments = Judgments(split=split)
    for kind, a, b in sorted(pairs.values()):
        (judgments.same if kind == "same" else judgments.not_same).append((a, b))
    return judgments


def resolve_pending(db: Database, settings: Settings, *, config: MatcherConfig | None = None) -> ResolveReport:
    """Resolve every unresolved canonical record (see module docstring)."""
    with stage_lock(db, ENTITIES, timeout=settings.lock_wait_seconds):
        return _resolve_locked(db, config)


class _Row(NamedTuple):
    """What the write step needs of a canonical record: plain values, not an ORM object (a
    city's worth of ORM rows was most of this stage's memory)."""

    id: int
    department: str


def _match_record(department: str, dataset: str, source_record_id: str, data: dict[str, Any] | None) -> MatchRecord:
    data = data or {}

    def text(name: str) -> str | None:
        value = data.get(name)
        return str(value) if value not in (None, "") else None

    return MatchRecord(
        key=record_key(department, dataset, source_record_id),
        name=text("name"),
        former_names=tuple(n for n in (data.get("former_names") or ()) if n),
        uscc=text("uscc"),
        reg_no=text("reg_no"),
        org_code=text("org_code"),
        tax_no=text("tax_no"),
        address=text("address"),
        legal_rep=text("legal_rep"),
        established=text("established"),
        is_register=bool(data.get("is_register")),
        department=department,
    )


def _judgments_mark(s: Session) -> int:
    return int(s.scalar(select(func.coalesce(func.max(MatchJudgment.id), 0))) or 0)


def _nothing_to_do(s: Session) -> bool:
    """No unresolved record and no judgment since the last resolve that changed anything."""
    if s.scalar(select(CanonicalRecordRow.id).where(CanonicalRecordRow.resolved.is_(False)).limit(1)) is not None:
        return False
    last = s.scalars(select(AuditLog.after).where(AuditLog.action == RESOLVE_ACTION)
                     .order_by(AuditLog.id.desc()).limit(1)).first()
    return last is not None and int(last.get("judgments_mark", -1)) == _judgments_mark(s)


def _resolve_locked(db: Database, config: MatcherConfig | None) -> ResolveReport:
    started = time.perf_counter()
    report = ResolveReport()
    with db.session() as s:
        if _nothing_to_do(s):
            # A day with nothing new must not reload a city's records (issue: 109 s, 8 GB at 200k).
            report.seconds = round(time.perf_counter() - started, 3)
            return report
        canonical, link_t = CanonicalRecordRow.__table__, EntityLink.__table__
        judgments = load_judgments(s)
        resolver = Resolver(config, judgments)
        stored: dict[str, tuple[str, str | None]] = {}
        for eid, status, merged_into in s.execute(select(Entity.id, Entity.status, Entity.merged_into)):
            stored[eid] = (status, merged_into)
            if status == "merged" and merged_into:
                resolver.add_redirect(eid, merged_into)
        row_by_key: dict[str, _Row] = {}
        old_links: dict[int, str] = {}
        resolved_rows = s.execute(
            select(canonical.c.id, canonical.c.department, canonical.c.dataset, canonical.c.source_record_id,
                   canonical.c.data, link_t.c.entity_id)
            .join(link_t, link_t.c.canonical_record_id == canonical.c.id)
            .where(canonical.c.resolved.is_(True))
            .execution_options(yield_per=20_000)
        )
        for cid, department, dataset, source_id, data, entity_id in resolved_rows:
            rec = _match_record(department, dataset, source_id, data)
            row_by_key[rec.key] = _Row(cid, department)
            old_links[cid] = entity_id
            resolver.attach(rec, resolver.resolve(entity_id))

        moved = resolver.enforce_judgments()
        report.moved_by_judgment = len(moved)
        pending_ids: list[int] = []
        records: list[MatchRecord] = []
        for cid, department, dataset, source_id, data in s.execute(
            select(canonical.c.id, canonical.c.department, canonical.c.dataset, canonical.c.source_record_id,
                   canonical.c.data).where(canonical.c.resolved.is_(False)).order_by(canonical.c.id)
        ):
            rec = _match_record(department, dataset, source_id, data)
            row_by_key[rec.key] = _Row(cid, department)
            pending_ids.append(cid)
            records.append(rec)
        for start in range(0, len(pending_ids), _IN_CHUNK):  # a changed record keeps its old link
            part = pending_ids[start : start + _IN_CHUNK]
            for cid, entity_id in s.execute(select(link_t.c.canonical_record_id, link_t.c.entity_id)
                                            .where(link_t.c.canonical_record_id.in_(part))):
                old_links[cid] = entity_id
        decisions = resolver.add_many(records)
        del records
        report.records = len(pending_ids)
        _count(report, decisions)

        _write(s, resolver, stored, row_by_key, old_links, decisions + moved, report)
        for start in range(0, len(pending_ids), _IN_CHUNK):
            s.execute(update(canonical).where(canonical.c.id.in_(pending_ids[start : start + _IN_CHUNK]))
                      .values(resolved=True, updated_at=canonical.c.updated_at))
        s.add(AuditLog(actor=RESOLVE_ACTOR, action=RESOLVE_ACTION, target=None,
                       after={"judgments_mark": _judgments_mark(s), "records": report.records}))
        s.flush()
        fail_point("resolve.written")  # everything written, nothing committed yet
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _count(report: ResolveReport, decisions: Iterable[Decision]) -> None:
    for d in decisions:
        if d.method == "identifier":
            report.linked_identifier += 1
        elif d.method == "name":
            report.linked_name += 1
        elif d.method == "judgment":
            report.linked_judgment += 1


def _write(
    s: Session,
    resolver: Resolver,
    stored: dict[str, tuple[str, str | None]],
    row_by_key: dict[str, _Row],
    old_links: dict[int, str],
    decisions: list[Decision],
    report: ResolveReport,
) -> None:
    """Write what changed with set-based statements (links and dirty marks as executemany)."""
    resolve = resolver.resolve
    entity_t, link_t = Entity.__table__, EntityLink.__table__
    dirty: set[str] = {resolve(e) for e in resolver.touched}

    # 1. Entities: create new ones first (merge redirects reference them).
    new = [eid for eid in resolver.entities if eid not in stored]
    if new:
        now = utcnow()
        s.execute(insert(entity_t), [{"id": eid, "status": "active", "merged_into": None, "dirty": True,
                                      "created_at": now, "updated_at": now} for eid in new])
        stored.update((eid, ("active", None)) for eid in new)
        report.new_entities += len(new)

    # 2. Links of every record whose entity is new or changed.
    method_of = {d.record_key: d for d in decisions}
    current = resolver.clusters()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    moved_from: list[tuple[str, str]] = []  # (record key, entity it left)
    for key, eid in current.items():
        row = row_by_key.get(key)
        if row is None:
            continue
        old = old_links.get(row.id)
        d = method_of.get(key)
        if old is None:
            inserts.append({"canonical_record_id": row.id, "entity_id": eid,
                            "method": d.method if d else "identifier", "score": d.score if d else None})
            dirty.add(eid)
        elif old != eid or d is not None:
            if old != eid:
                dirty.update({eid, resolve(old)})
                moved_from.append((key, old))
            updates.append({"p_id": row.id, "p_entity": eid,
                            "p_method": d.method if d else None, "p_score": d.score if d else None,
                            "p_has_decision": d is not None})
    now = utcnow()
    for start in range(0, len(inserts), _WRITE_CHUNK):
        s.execute(insert(link_t), [{**r, "linked_at": now} for r in inserts[start : start + _WRITE_CHUNK]])
    keep = [u for u in updates if not u["p_has_decision"]]
    decided = [u for u in updates if u["p_has_decision"]]
    if keep:
        s.execute(update(link_t).where(link_t.c.canonical_record_id == bindparam("p_id"))
                  .values(entity_id=bindparam("p_entity")),
                  [{"p_id": u["p_id"], "p_entity": u["p_entity"]} for u in keep])
    if decided:
        s.execute(update(link_t).where(link_t.c.canonical_record_id == bindparam("p_id"))
                  .values(entity_id=bindparam("p_entity"), method=bindparam("p_method"), score=bindparam("p_score")),
                  [{k: u[k] for k in ("p_id", "p_entity", "p_method", "p_score")} for u in decided])

    def redirect(loser: str, survivor: str) -> None:
        s.execute(update(entity_t).where(entity_t.c.id == loser)
                  .values(status="merged", merged_into=survivor, dirty=True))
        # Older redirects to the loser are flattened.
        s.execute(update(entity_t).where(entity_t.c.merged_into == loser).values(merged_into=survivor))
        stored[loser] = ("merged", survivor)

    # 3. Merges: the loser keeps a redirect.
    for loser, _ in resolver.merges:
        survivor = resolve(loser)
        if loser not in stored:
            continue
        redirect(loser, survivor)
        dirty.add(survivor)
        report.merges += 1
    # An entity whose every record moved elsewhere (a re-resolved record, a judgment) redirects there.
    live = set(current.values())
    for key, old in moved_from:
        old = resolve(old)
        if old not in live and key in current and stored.get(old, ("", None))[0] == "active":
            if not resolver.entities.get(old) or not resolver.entities[old].records:
                redirect(old, current[key])

    # 4. Flags for the stewards (one open flag per record and kind).
    open_flags = set(s.execute(select(ResolutionFlag.kind, ResolutionFlag.canonical_record_id)
                               .where(ResolutionFlag.status == "open")).tuples())
    for flag in resolver.flags:
        row = row_by_key.get(flag.record_key)
        if row is None or (flag.kind, row.id) in open_flags:
            continue
        open_flags.add((flag.kind, row.id))
        evidence = dict(flag.evidence)
        evidence.setdefault("reason_zh", FLAG_REASONS_ZH.get(flag.kind, flag.kind))
        evidence["record"] = flag.record_key
        s.add(ResolutionFlag(kind=flag.kind, department=row.department, canonical_record_id=row.id,
                             evidence=_jsonable(evidence), status="open"))
        report.flags += 1

    # 5. Dirty: every entity whose record set or identity changed.
    marks = sorted(eid for eid in dirty if eid in stored)
    for start in range(0, len(marks), _IN_CHUNK):
        s.execute(update(entity_t).where(entity_t.c.id.in_(marks[start : start + _IN_CHUNK])).values(dirty=True))
    report.entities_touched = len(dirty)
    s.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
