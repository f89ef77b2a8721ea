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
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from credithub.pipeline.failpoints import fail_point
from credithub.pipeline.locks import ENTITIES, stage_lock
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    EntityLink,
    MatchJudgment,
    ResolutionFlag,
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


def to_match_record(row: CanonicalRecordRow) -> MatchRecord:
    data: dict[str, Any] = row.data or {}

    def text(name: str) -> str | None:
        value = data.get(name)
        return str(value) if value not in (None, "") else None

    return MatchRecord(
        key=record_key(row.department, row.dataset, row.source_record_id),
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
        department=row.department,
    )


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


def _resolve_locked(db: Database, config: MatcherConfig | None) -> ResolveReport:
    started = time.perf_counter()
    report = ResolveReport()
    with db.session() as s:
        pending = list(s.scalars(
            select(CanonicalRecordRow).where(CanonicalRecordRow.resolved.is_(False)).order_by(CanonicalRecordRow.id)
        ))
        judgments = load_judgments(s)
        resolver = Resolver(config, judgments)
        pending_ids = {r.id for r in pending}

        stored_entities: dict[str, Entity] = {e.id: e for e in s.scalars(select(Entity))}
        for e in stored_entities.values():
            if e.status == "merged" and e.merged_into:
                resolver.add_redirect(e.id, e.merged_into)
        old_links: dict[int, EntityLink] = {ln.canonical_record_id: ln for ln in s.scalars(select(EntityLink))}
        row_by_key: dict[str, CanonicalRecordRow] = {}
        for row in s.scalars(select(CanonicalRecordRow).where(CanonicalRecordRow.resolved.is_(True))):
            link = old_links.get(row.id)
            if link is None or row.id in pending_ids:
                continue
            rec = to_match_record(row)
            row_by_key[rec.key] = row
            resolver.attach(rec, resolver.resolve(link.entity_id))

        moved = resolver.enforce_judgments()
        report.moved_by_judgment = len(moved)
        records = [to_match_record(r) for r in pending]
        for r, rec in zip(pending, records, strict=True):
            row_by_key[rec.key] = r
        decisions = resolver.add_many(records)
        report.records = len(pending)
        before = {
            key: old_links[row.id].entity_id for key, row in row_by_key.items() if row.id in old_links
        }
        _count(report, decisions)

        _write(s, resolver, stored_entities, row_by_key, old_links, before, decisions + moved, report)
        for r in pending:
            r.resolved = True
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
    stored: dict[str, Entity],
    row_by_key: dict[str, CanonicalRecordRow],
    old_links: dict[int, EntityLink],
    before: dict[str, str],
    decisions: list[Decision],
    report: ResolveReport,
) -> None:
    resolve = resolver.resolve
    dirty: set[str] = {resolve(e) for e in resolver.touched}

    # 1. Entities: create new ones first (merge redirects reference them).
    for eid in resolver.entities:
        if eid not in stored:
            ent = Entity(id=eid, status="active", dirty=True)
            s.add(ent)
            stored[eid] = ent
            report.new_entities += 1
    s.flush()

    # 2. Links of every record whose entity is new or changed.
    method_of = {d.record_key: d for d in decisions}
    current = resolver.clusters()
    for key, eid in current.items():
        row = row_by_key.get(key)
        if row is None:
            continue
        link = old_links.get(row.id)
        d = method_of.get(key)
        if link is None:
            s.add(EntityLink(canonical_record_id=row.id, entity_id=eid, method=d.method if d else "identifier",
                             score=d.score if d else None))
            dirty.add(eid)
        elif link.entity_id != eid or d is not None:
            if link.entity_id != eid:
                dirty.update({eid, resolve(link.entity_id)})
            link.entity_id = eid
            if d is not None:
                link.method, link.score = d.method, d.score
    s.flush()

    # 3. Merges: the loser keeps a redirect; older redirects to it are flattened.
    for loser, _ in resolver.merges:
        survivor = resolve(loser)
        ent = stored.get(loser)
        if ent is None:
            continue
        ent.status, ent.merged_into, ent.dirty = "merged", survivor, True
        s.execute(update(Entity).where(Entity.merged_into == loser).values(merged_into=survivor))
        dirty.add(survivor)
        report.merges += 1
    # An entity whose every record moved elsewhere (a re-resolved record, a judgment) redirects there.
    live = set(current.values())
    for key, old in before.items():
        old = resolve(old)
        if old not in live and key in current and stored.get(old) is not None and stored[old].status == "active":
            if not resolver.entities.get(old) or not resolver.entities[old].records:
                stored[old].status, stored[old].merged_into, stored[old].dirty = "merged", current[key], True
                s.execute(update(Entity).where(Entity.merged_into == old).values(merged_into=current[key]))

    # 4. Flags for the stewards (one open flag per record and kind).
    open_flags = {
        (f.kind, f.canonical_record_id)
        for f in s.scalars(select(ResolutionFlag).where(ResolutionFlag.status == "open"))
    }
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
    for eid in dirty:
        ent = stored.get(eid)
        if ent is not None:
            ent.dirty = True
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
