"""Profile stage: dirty entities -> one unified credit profile each (profiles table).

Every fact keeps its provenance; identity fields where departments disagree become
FactConflicts (the register's value is shown, the disagreement is not hidden).
Idempotent: an unchanged profile is not rewritten; output is sorted, so deterministic.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from credithub.disclosure.policy import DisclosurePolicy, load_policy, local_today
from credithub.disclosure.view import compute_summary
from credithub.domain import CanonicalRecord, FactConflict, Profile, ProfileEvent, ProfileIdentity, Provenance
from credithub.hashing import content_hash
from credithub.pipeline.failpoints import fail_point
from credithub.storage.locks import ENTITIES, stage_lock
from credithub.settings import Settings
from credithub.storage.bulk import bulk_insert
from credithub.storage.db import Database
from credithub.storage.tables import CanonicalRecordRow, Entity, EntityLink, ProfileRow, StagedRecord, utcnow
from entity_resolution.identifiers import classify_identifier, parse_identifier

# Entities per transaction: bounds memory and lock time on large rebuilds.
CHUNK = 500
# Register statuses that mean the same thing (both "in business").
_STATUS_SYNONYMS = {"在业": "存续"}
CONFLICT_FIELDS = (
    "uscc",
    "org_code",
    "legal_rep",
    "status",
    "registered_capital",
    "established",
    "address",
    "industry",
    "district",
)
IDENTITY_FIELDS = ("status", "registered_capital", "established", "address", "legal_rep", "industry", "district")


class ProfilesReport(BaseModel):
    built: int = Field(0, description="Profiles written (new or changed).")
    unchanged: int = Field(0, description="Rebuilt but identical to the stored profile: not rewritten.")
    removed: int = Field(0, description="Profiles deleted (entity merged away or without records).")
    entities: int = Field(0, description="Entities examined.")


class SourcedRecord(BaseModel):
    record: CanonicalRecord
    provenance: Provenance
    updated_at: dt.datetime | None = None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = unicodedata.normalize("NFKC", str(text)).strip()
    return value or None


def _compare_key(field: str, value: Any) -> str:
    """Spelling-insensitive comparison so that 全角/半角 or 在业/存续 are not reported as conflicts."""
    text = "".join(str(value).split())
    text = unicodedata.normalize("NFKC", text).upper()
    if field == "status":
        return _STATUS_SYNONYMS.get(text, text)
    if field == "registered_capital":
        return f"{float(value):.4f}"
    return text


def _valid_id(raw: str | None, kind: str) -> str | None:
    """Normalised value of a checked identifier; a failing code is evidence, not identity."""
    if not raw:
        return None
    parsed = parse_identifier(raw, kind)  # type: ignore[arg-type]
    if parsed is not None and parsed.valid:
        return parsed.value
    # Departments mislabel: a "tax number" column often holds a USCC.
    for other in classify_identifier(raw):
        if other.valid:
            return other.value if other.kind == kind else None
    return None


def _record_ids(rec: CanonicalRecord) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"uscc": set(), "org_code": set(), "reg_no": set(), "tax_no": set()}
    for kind in found:
        raw = getattr(rec, kind)
        if not raw:
            continue
        value = _valid_id(raw, kind)
        if value:
            found[kind].add(value)
            continue
        for parsed in classify_identifier(raw):  # e.g. tax_no column holding a USCC
            if parsed.valid:
                found[parsed.kind].add(parsed.value)
                break
    for uscc in list(found["uscc"]):
        embedded = uscc[8:17]
        if _valid_id(embedded, "org_code"):
            found["org_code"].add(embedded)
    for tax in found["tax_no"]:
        found["org_code"].add(tax[6:])
    return found


def _pick(values: list[tuple[Any, SourcedRecord]]) -> Any:
    """Most frequent value, ties to the most recent batch then the smallest spelling."""
    if not values:
        return None
    counts = Counter(_compare_key("", v) for v, _ in values)
    best = max(
        values,
        key=lambda vs: (counts[_compare_key("", vs[0])], vs[1].provenance.batch_id, str(vs[0])),
    )
    return best[0]


def _register(records: list[SourcedRecord]) -> SourcedRecord | None:
    regs = [r for r in records if r.record.is_register]
    if not regs:
        return None
    return max(regs, key=lambda r: (r.provenance.batch_id, r.provenance.source_record_id))


def _conflicts(records: list[SourcedRecord], ids: list[dict[str, set[str]]]) -> list[FactConflict]:
    conflicts: list[FactConflict] = []
    for field in CONFLICT_FIELDS:
        seen: dict[str, list[dict[str, Any]]] = {}
        for sourced, rec_ids in zip(records, ids, strict=True):
            if field in ("uscc", "org_code"):
                values: Iterable[Any] = sorted(rec_ids[field])
            else:
                raw = getattr(sourced.record, field)
                values = [] if raw in (None, "") else [raw.isoformat() if isinstance(raw, dt.date) else raw]
            for value in values:
                seen.setdefault(_compare_key(field, value), []).append(
                    {
                        "value": value,
                        "department": sourced.provenance.department,
                        "dataset": sourced.provenance.dataset,
                        "source_record_id": sourced.provenance.source_record_id,
                        "batch_id": sourced.provenance.batch_id,
                    }
                )
        if len(seen) > 1:
            flat = [v for group in seen.values() for v in group]
            flat.sort(key=lambda v: (v["department"], v["dataset"], v["source_record_id"], str(v["value"])))
            conflicts.append(FactConflict(field=field, values=flat))
    return conflicts


def build_profile(entity_id: str, records: list[SourcedRecord], policy: DisclosurePolicy, today: dt.date) -> Profile:
    """Pure: the unified profile of one entity from its linked canonical records."""
    records = sorted(
        records, key=lambda r: (r.provenance.department, r.provenance.dataset, r.provenance.source_record_id)
    )
    register = _register(records)
    ids = [_record_ids(r.record) for r in records]

    names = [(_clean(r.record.name), r) for r in records if _clean(r.record.name)]
    name = _clean(register.record.name) if register and register.record.name else None
    name = name or _pick(names) or entity_id
    former = sorted(
        {n for r in records if r.record.is_register for n in map(_clean, r.record.former_names) if n and n != name}
    )
    other = sorted({n for n, _ in names if n != name and n not in former})

    identity: dict[str, Any] = {"name": name, "former_names": former, "other_names": other}
    for field in IDENTITY_FIELDS:
        reg_value = getattr(register.record, field) if register else None
        if reg_value not in (None, ""):
            identity[field] = _clean(reg_value) if isinstance(reg_value, str) else reg_value
            continue
        values = [(getattr(r.record, field), r) for r in records if getattr(r.record, field) not in (None, "")]
        picked = _pick(values)
        identity[field] = _clean(picked) if isinstance(picked, str) else picked

    def best_id(kind: str) -> str | None:
        if register:
            reg_ids = ids[records.index(register)][kind]
            if reg_ids:
                return sorted(reg_ids)[0]
        return _pick([(v, r) for r, rid in zip(records, ids, strict=True) for v in sorted(rid[kind])])

    identity["uscc"] = best_id("uscc")
    identity["org_code"] = (identity["uscc"][8:17] if identity["uscc"] else None) or best_id("org_code")
    identity["reg_nos"] = sorted({v for rid in ids for v in rid["reg_no"]})
    identity["tax_nos"] = sorted({v for rid in ids for v in rid["tax_no"]})

    events = [
        ProfileEvent(**event.model_dump(), provenance=r.provenance) for r in records for event in r.record.events
    ]
    events.sort(
        key=lambda e: (e.date, e.provenance.department, e.provenance.source_record_id, e.event_type, e.title),
        reverse=True,
    )
    updated = [r.updated_at for r in records if r.updated_at]
    return Profile(
        entity_id=entity_id,
        identity=ProfileIdentity(**identity),
        summary=compute_summary(events, policy, today),
        events=events,
        conflicts=_conflicts(records, ids),
        departments=sorted({r.provenance.department for r in records}),
        sources=[r.provenance for r in records],
        updated_at=max(updated) if updated else None,
    )


def profile_hash(profile: Profile) -> str:
    return content_hash(profile.model_dump(mode="json", exclude={"updated_at"}))


def _load_records(session: Session, entity_ids: list[str]) -> dict[str, list[SourcedRecord]]:
    # Plain columns, not ORM rows: the ORM's per-row bookkeeping was a third of this stage.
    c = CanonicalRecordRow.__table__
    rows = session.execute(
        select(EntityLink.entity_id, c.c.department, c.c.dataset, c.c.batch_id, c.c.source_record_id, c.c.data,
               c.c.updated_at, StagedRecord.raw_record_id)
        .join(c, c.c.id == EntityLink.canonical_record_id)
        .outerjoin(StagedRecord, StagedRecord.id == c.c.staged_record_id)
        .where(EntityLink.entity_id.in_(entity_ids))
    ).all()
    out: dict[str, list[SourcedRecord]] = {}
    for entity_id, department, dataset, batch_id, source_id, data, updated_at, raw_id in rows:
        prov = Provenance(department=department, dataset=dataset, batch_id=batch_id, source_record_id=source_id,
                          raw_record_id=raw_id)
        out.setdefault(entity_id, []).append(
            SourcedRecord(record=CanonicalRecord.model_validate(data), provenance=prov, updated_at=updated_at))
    return out


def survivor_of(session: Session, entity_id: str, *, max_hops: int = 20) -> str | None:
    """Follow merged_into to the surviving entity (None if the id is unknown)."""
    current = session.get(Entity, entity_id)
    hops = 0
    while current is not None and current.merged_into and hops < max_hops:
        current = session.get(Entity, current.merged_into)
        hops += 1
    return current.id if current is not None else None


def build_profiles(
    db: Database, settings: Settings, *, entity_ids: list[str] | None = None, shared_lock: bool = False
) -> ProfilesReport:
    """Rebuild the profiles of dirty entities (or exactly `entity_ids`) and clear their dirty mark.

    `shared_lock`: this call builds one partition of a fanned-out stage (disjoint `entity_ids`), so
    it may run beside the other partitions; resolve, publish and whole builds stay exclusive."""
    policy = load_policy(settings)
    today = local_today(settings)
    report = ProfilesReport()
    with stage_lock(db, ENTITIES, timeout=settings.lock_wait_seconds, shared=shared_lock):
        _build_targets(db, entity_ids, policy, today, report)
    return report


def _build_targets(db: Database, entity_ids: list[str] | None, policy: DisclosurePolicy, today: dt.date,
                   report: ProfilesReport) -> None:
    with db.session() as session:
        if entity_ids is None:
            targets = list(session.scalars(select(Entity.id).where(Entity.dirty.is_(True)).order_by(Entity.id)))
        else:
            targets = sorted(set(entity_ids))
    for start in range(0, len(targets), CHUNK):
        chunk = targets[start : start + CHUNK]
        with db.session() as session:
            _build_chunk(session, chunk, policy, today, report)
        fail_point("profiles.chunk", index=start // CHUNK)


def _build_chunk(
    session: Session, chunk: list[str], policy: DisclosurePolicy, today: dt.date, report: ProfilesReport
) -> None:
    """Build the chunk's profiles and write them with set-based statements (one transaction)."""
    entity_t, profile_t = Entity.__table__, ProfileRow.__table__
    entities = {eid: (status, merged_into) for eid, status, merged_into in session.execute(
        select(entity_t.c.id, entity_t.c.status, entity_t.c.merged_into).where(entity_t.c.id.in_(chunk)))}
    stored = {eid: (digest, version) for eid, digest, version in session.execute(
        select(profile_t.c.entity_id, profile_t.c.content_hash, profile_t.c.version)
        .where(profile_t.c.entity_id.in_(chunk)))}
    records = _load_records(session, chunk)
    remove: list[str] = []
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    for entity_id in chunk:
        entity = entities.get(entity_id)
        if entity is None:
            continue
        report.entities += 1
        status, merged_into = entity
        if merged_into or status == "merged" or not records.get(entity_id):
            if entity_id in stored:
                remove.append(entity_id)
            continue
        profile = build_profile(entity_id, records[entity_id], policy, today)
        digest = profile_hash(profile)
        old = stored.get(entity_id)
        if old is not None and old[0] == digest:
            report.unchanged += 1
            continue
        data = profile.model_dump(mode="json")
        if old is None:
            inserts.append({"entity_id": entity_id, "data": data, "content_hash": digest, "version": 1,
                            "updated_at": now, "published_hash": None, "public_next_change": None})
        else:
            updates.append({"p_id": entity_id, "p_data": data, "p_hash": digest, "p_version": (old[1] or 0) + 1})
        report.built += 1
    bulk_insert(session, profile_t, inserts)
    if updates:
        session.execute(
            update(profile_t).where(profile_t.c.entity_id == bindparam("p_id"))
            .values(data=bindparam("p_data"), content_hash=bindparam("p_hash"), version=bindparam("p_version"),
                    updated_at=now),
            updates,
        )
    if remove:
        session.execute(delete(ProfileRow).where(ProfileRow.entity_id.in_(remove)))
        report.removed += len(remove)
    session.execute(update(entity_t).where(entity_t.c.id.in_(list(entities))).values(dirty=False))
