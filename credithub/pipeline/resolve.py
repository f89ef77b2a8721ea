"""Resolve stage: unresolved canonical records -> entities and entity links.

A thin database adapter over entity_resolution.matcher (the in-memory matcher the
standalone `credithub resolve` command also uses):
1. load stored state: on a first load or a full reload every resolved record under its stored
   entity; otherwise (incremental) only the records the persistent match index (`match_keys`:
   every resolved record's identifier keys and name blocks) says the new and changed records,
   and the records named in judgments, can reach — each of their entities whole — plus the
   stored merge redirects;
2. make the stored state obey the stewards' judgments (same / not_same / split);
3. match the unresolved records incrementally (new records join existing entities);
4. write new entities, links, merges (status='merged', merged_into=survivor, links moved),
   flags for the stewards, mark touched entities dirty, mark the records resolved.

The match index is written in the same transaction as the links: the keys of every record
just resolved (a re-resolved record's old keys replaced). Idempotent: a second run with nothing
new changes nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from credithub.pipeline.failpoints import fail_point
from credithub.storage.locks import ENTITIES, stage_lock
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    AuditLog,
    CanonicalRecordRow,
    Entity,
    EntityLink,
    MatchJudgment,
    MatchKey,
    ResolutionFlag,
    utcnow,
)
from entity_resolution.matcher import (
    BLOCKING_KEYS_VERSION,
    Decision,
    Judgments,
    MatcherConfig,
    MatchRecord,
    Resolver,
    probe_keys,
    typo_probe_keys,
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
    mode: str = Field("", description="first_load | full | incremental (only what the match index reaches).")
    loaded_records: int = Field(0, description="Resolved records loaded into the matcher.")
    passes: int = Field(0, description="Matching runs of an incremental resolve (again when typo candidates were missing).")
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


def resolve_pending(
    db: Database, settings: Settings, *, config: MatcherConfig | None = None, full_reload: bool = False
) -> ResolveReport:
    """Resolve every unresolved canonical record (see module docstring).

    `full_reload=True` loads every resolved record into the matcher (the path of a first load and
    of an index rebuild) instead of only what the match index says the batch can reach; both give
    the same entities, links and merges (tests/pipeline/test_incremental_resolve.py)."""
    with stage_lock(db, ENTITIES, timeout=settings.lock_wait_seconds):
        return _resolve_locked(db, config, full_reload=full_reload)


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


def _resolve_locked(db: Database, config: MatcherConfig | None, *, full_reload: bool = False) -> ResolveReport:
    started = time.perf_counter()
    report = ResolveReport()
    with db.session() as s:
        if _nothing_to_do(s):
            # A day with nothing new must not reload a city's records (issue: 109 s, 8 GB at 200k).
            report.seconds = round(time.perf_counter() - started, 3)
            return report
        canonical, link_t = CanonicalRecordRow.__table__, EntityLink.__table__
        judgments = load_judgments(s)
        any_resolved = s.scalar(select(canonical.c.id).where(canonical.c.resolved.is_(True)).limit(1)) is not None
        if not any_resolved:
            report.mode = "first_load"
        elif full_reload or not _index_current(s):
            report.mode = "full"
        else:
            report.mode = "incremental"

        pending_ids: list[int] = []
        records: list[MatchRecord] = []
        row_by_key: dict[str, _Row] = {}
        for cid, department, dataset, source_id, data in s.execute(
            select(canonical.c.id, canonical.c.department, canonical.c.dataset, canonical.c.source_record_id,
                   canonical.c.data).where(canonical.c.resolved.is_(False)).order_by(canonical.c.id)
        ):
            rec = _match_record(department, dataset, source_id, data)
            row_by_key[rec.key] = _Row(cid, department)
            pending_ids.append(cid)
            records.append(rec)

        old_links: dict[int, str] = {}
        for start in range(0, len(pending_ids), _IN_CHUNK):  # a changed record keeps its old link
            part = pending_ids[start : start + _IN_CHUNK]
            for cid, entity_id in s.execute(select(link_t.c.canonical_record_id, link_t.c.entity_id)
                                            .where(link_t.c.canonical_record_id.in_(part))):
                old_links[cid] = entity_id

        if report.mode == "incremental":
            resolver, moved, decisions = _resolve_reachable(s, config, judgments, records, old_links, row_by_key,
                                                            report)
            stored: dict[str, tuple[str, str | None]] = {}
            _add_stored_status(s, resolver, stored, old_links)
        else:
            resolver = Resolver(config, judgments)
            stored = _load_everything(s, resolver, row_by_key, old_links, report)
            moved = resolver.enforce_judgments()
            decisions = resolver.add_many(records)
        del records
        report.moved_by_judgment = len(moved)
        report.records = len(pending_ids)
        _count(report, decisions)

        _write(s, resolver, stored, row_by_key, old_links, decisions + moved, report)
        for start in range(0, len(pending_ids), _IN_CHUNK):
            s.execute(update(canonical).where(canonical.c.id.in_(pending_ids[start : start + _IN_CHUNK]))
                      .values(resolved=True, updated_at=canonical.c.updated_at))
        _write_match_keys(s, resolver, row_by_key, pending_ids, rebuild=report.mode != "incremental")
        s.add(AuditLog(actor=RESOLVE_ACTOR, action=RESOLVE_ACTION, target=None,
                       after={"judgments_mark": _judgments_mark(s), "records": report.records,
                              "mode": report.mode, "match_index": BLOCKING_KEYS_VERSION}))
        s.flush()
        fail_point("resolve.written")  # everything written, nothing committed yet
    report.seconds = round(time.perf_counter() - started, 3)
    return report


# ---------------------------------------------------------------- loading the matcher's state


def match_key_hash(key: str) -> int:
    """The stored form of a blocking key: a signed 64-bit BLAKE2b digest (fits BIGINT everywhere)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _index_current(s: Session) -> bool:
    """The match index holds every resolved record's keys of this matcher version: the last resolve
    wrote them. A database migrated from before the index (or a matcher whose keys changed) is
    resolved once by a full reload, which rebuilds the index."""
    last = s.scalars(select(AuditLog.after).where(AuditLog.action == RESOLVE_ACTION)
                     .order_by(AuditLog.id.desc()).limit(1)).first()
    return last is not None and last.get("match_index") == BLOCKING_KEYS_VERSION


def _load_everything(
    s: Session, resolver: Resolver, row_by_key: dict[str, _Row], old_links: dict[int, str], report: ResolveReport
) -> dict[str, tuple[str, str | None]]:
    """Every resolved record under its stored entity, every stored merge redirect."""
    canonical, link_t = CanonicalRecordRow.__table__, EntityLink.__table__
    stored: dict[str, tuple[str, str | None]] = {}
    for eid, status, merged_into in s.execute(select(Entity.id, Entity.status, Entity.merged_into)):
        stored[eid] = (status, merged_into)
        if status == "merged" and merged_into:
            resolver.add_redirect(eid, merged_into)
    # In record id order, so that "the older entity" of a merge is the same whichever subset of
    # the records an incremental run loads (a subsequence keeps the relative order).
    resolved_rows = s.execute(
        select(canonical.c.id, canonical.c.department, canonical.c.dataset, canonical.c.source_record_id,
               canonical.c.data, link_t.c.entity_id)
        .join(link_t, link_t.c.canonical_record_id == canonical.c.id)
        .where(canonical.c.resolved.is_(True))
        .order_by(canonical.c.id)
        .execution_options(yield_per=20_000)
    )
    for cid, department, dataset, source_id, data, entity_id in resolved_rows:
        rec = _match_record(department, dataset, source_id, data)
        row_by_key[rec.key] = _Row(cid, department)
        old_links[cid] = entity_id
        resolver.attach(rec, resolver.resolve(entity_id))
        report.loaded_records += 1
    return stored


_Loaded = tuple[int, str, str, str, Any, str]  # canonical id, department, dataset, source id, data, entity


def _resolve_reachable(
    s: Session,
    config: MatcherConfig | None,
    judgments: Judgments,
    pending: list[MatchRecord],
    old_links: dict[int, str],
    row_by_key: dict[str, _Row],
    report: ResolveReport,
) -> tuple[Resolver, list[Decision], list[Decision]]:
    """Match the pending records against only the resolved records they can reach, each entity whole.

    What the matcher reads while it places a record is reached through that record's own keys:
    the identifier index, its exact names (an identifier-backed record bridges by its exact name),
    and — only when it looks for a name match (no identifier hit, or a name that conflicts with
    the identifier's entity) — the names one edit away (`_name_score` gives names two edits apart
    0). Then it reads the whole entities found there (names, fields, records for judgments);
    merges only join entities found that way. So it is enough to load, each entity whole:
    (1) the records whose stored keys answer the identifier and exact-name probes of every
    pending record and of every record named in a judgment (judgments are enforced, and can move
    records, on every run); (2) those judgment records; (3) the entities a changed record leaves
    (an entity left empty redirects to where its record went); (4) for every name the matcher
    actually looked up typo candidates for (`Resolver.typo_probed`), the names one edit away.
    (4) is known only by matching, so matching runs again from scratch on the wider load until a
    run looks up no name it has not loaded the neighbours of (usually two runs; the second
    differs only for the few records matched by name). No step looks up a key of a record it did
    not start from, so one level of entities is enough. Records are attached in record id order,
    as the full reload does, so every tie (the older entity of a merge, the first spelling of a
    name) is broken the same way.
    """
    entity_t = Entity.__table__
    # Redirects are few (one per merge) and decide ids: load them all, as the full reload does.
    redirects = [(eid, into) for eid, into in s.execute(
        select(entity_t.c.id, entity_t.c.merged_into).where(entity_t.c.status == "merged")) if into]
    follow = Resolver()
    for loser, survivor in redirects:
        follow.add_redirect(loser, survivor)
    losers: dict[str, list[str]] = {}
    for loser, _ in redirects:
        losers.setdefault(follow.resolve(loser), []).append(loser)

    named = _judgment_records(s, judgments)
    probes: set[int] = set()
    for rec in pending:
        probes.update(match_key_hash(k) for k in probe_keys(rec, typos=False))
    for cid, department, dataset, source_id, data in named:
        rec = _match_record(department, dataset, source_id, data)
        probes.update(match_key_hash(k) for k in probe_keys(rec, typos=False))
    extra_records = {cid for cid, *_ in named}
    extra_entities = {follow.resolve(e) for e in old_links.values()}

    loaded_entities: set[str] = set()
    rows: list[_Loaded] = []
    widened: set[str] = set()
    while True:
        rows.extend(_reach(s, probes, extra_records, extra_entities, loaded_entities, follow, losers))
        rows.sort(key=lambda r: r[0])
        resolver = Resolver(config, judgments)
        for loser, survivor in redirects:
            resolver.add_redirect(loser, survivor)
        for _cid, department, dataset, source_id, data, entity_id in rows:
            resolver.attach(_match_record(department, dataset, source_id, data), resolver.resolve(entity_id))
        resolver.id_taken = _id_taken(s)
        resolver.typo_probed = set()
        moved = resolver.enforce_judgments()
        decisions = resolver.add_many(pending)
        missing = resolver.typo_probed - widened
        if not missing:
            break
        # Some record looked for names one edit away that were not loaded: load them, match again.
        widened |= missing
        probes = {match_key_hash(k) for key in sorted(missing) for k in typo_probe_keys(key)}
        extra_records, extra_entities = set(), set()
        report.passes += 1
    for cid, department, dataset, source_id, _data, entity_id in rows:
        row_by_key[record_key(department, dataset, source_id)] = _Row(cid, department)
        old_links[cid] = entity_id
    report.passes += 1
    report.loaded_records = len(rows)
    return resolver, moved, decisions


def _reach(
    s: Session,
    probes: set[int],
    records: set[int],
    entities: set[str],
    loaded: set[str],
    follow: Resolver,
    losers: dict[str, list[str]],
) -> list[_Loaded]:
    """The resolved records of every entity holding a record that answers `probes` (or is in
    `records`), and of `entities`, that are not `loaded` yet (`loaded` grows)."""
    canonical, link_t, match_t = CanonicalRecordRow.__table__, EntityLink.__table__, MatchKey.__table__
    found = set(records)
    ordered = sorted(probes)
    for start in range(0, len(ordered), _IN_CHUNK):
        found.update(s.scalars(select(match_t.c.canonical_record_id)
                               .where(match_t.c.key.in_(ordered[start : start + _IN_CHUNK]))))
    wanted = set(entities)
    found_list = sorted(found)
    for start in range(0, len(found_list), _IN_CHUNK):
        wanted.update(follow.resolve(e) for e in s.scalars(
            select(link_t.c.entity_id).where(link_t.c.canonical_record_id.in_(found_list[start : start + _IN_CHUNK]))))
    wanted -= loaded
    loaded |= wanted
    # Links point at survivors (a merge moves them), but read the losers' too, as the full reload would.
    ids = sorted(wanted | {loser for e in wanted for loser in losers.get(e, ())})
    rows: list[_Loaded] = []
    for start in range(0, len(ids), _IN_CHUNK):
        rows.extend(s.execute(
            select(canonical.c.id, canonical.c.department, canonical.c.dataset, canonical.c.source_record_id,
                   canonical.c.data, link_t.c.entity_id)
            .join(link_t, link_t.c.canonical_record_id == canonical.c.id)
            .where(canonical.c.resolved.is_(True), link_t.c.entity_id.in_(ids[start : start + _IN_CHUNK]))
        ).tuples())
    return rows


def _id_taken(s: Session) -> Callable[[str], bool]:
    canonical, link_t = CanonicalRecordRow.__table__, EntityLink.__table__

    def taken(eid: str) -> bool:
        # The full reload holds every entity with a resolved record; one not loaded here still
        # owns its id (merged ones are redirects, loaded in full).
        return s.execute(select(link_t.c.canonical_record_id)
                         .join(canonical, canonical.c.id == link_t.c.canonical_record_id)
                         .where(link_t.c.entity_id == eid, canonical.c.resolved.is_(True)).limit(1)).first() is not None

    return taken


def _judgment_records(s: Session, judgments: Judgments) -> list[tuple[int, str, str, str, Any]]:
    """The resolved canonical records named in judgments (a pending one is matched anyway)."""
    wanted: dict[str, set[tuple[str, str]]] = {}
    for key in {*judgments.split, *(k for pair in judgments.same + judgments.not_same for k in pair)}:
        parts = key.split("/", 2)
        if len(parts) == 3:
            wanted.setdefault(parts[2], set()).add((parts[0], parts[1]))
    canonical = CanonicalRecordRow.__table__
    ids = sorted(wanted)
    out: list[tuple[int, str, str, str, Any]] = []
    for start in range(0, len(ids), _IN_CHUNK):
        for cid, department, dataset, source_id, data in s.execute(
            select(canonical.c.id, canonical.c.department, canonical.c.dataset, canonical.c.source_record_id,
                   canonical.c.data)
            .where(canonical.c.source_record_id.in_(ids[start : start + _IN_CHUNK]), canonical.c.resolved.is_(True))
        ):
            if (department, dataset) in wanted[source_id]:
                out.append((cid, department, dataset, source_id, data))
    return out


def _add_stored_status(
    s: Session, resolver: Resolver, stored: dict[str, tuple[str, str | None]], old_links: dict[int, str]
) -> None:
    """Stored status of every entity the write step can ask about (the full reload reads them all)."""
    ids = set(resolver.entities) | {loser for loser, _ in resolver.merges}
    ids |= set(old_links.values()) | {resolver.resolve(e) for e in old_links.values()}
    entity_t = Entity.__table__
    ordered = sorted(ids)
    for start in range(0, len(ordered), _IN_CHUNK):
        for eid, status, merged_into in s.execute(
            select(entity_t.c.id, entity_t.c.status, entity_t.c.merged_into)
            .where(entity_t.c.id.in_(ordered[start : start + _IN_CHUNK]))
        ):
            stored[eid] = (status, merged_into)


def _write_match_keys(
    s: Session, resolver: Resolver, row_by_key: dict[str, _Row], pending_ids: list[int], *, rebuild: bool
) -> None:
    """Keep the match index in step with the records just resolved, in the same transaction.

    Incremental: a re-resolved record's old keys are replaced by its new ones. Full reload and
    first load: the whole index is rewritten from the records in memory (which are all of them).
    """
    match_t = MatchKey.__table__
    if rebuild:
        s.execute(delete(match_t))
        ids = set(row.id for row in row_by_key.values())
    else:
        for start in range(0, len(pending_ids), _IN_CHUNK):
            s.execute(delete(match_t).where(match_t.c.canonical_record_id.in_(pending_ids[start : start + _IN_CHUNK])))
        ids = set(pending_ids)
    rows = ((h, row.id) for key, row in row_by_key.items() if row.id in ids and key in resolver.prepared
            for h in {match_key_hash(k) for k in resolver.blocking_keys(key)})
    if rebuild and s.get_bind().dialect.name == "postgresql":
        # A first load writes ≈9 rows per record: COPY on the session's own connection (same
        # transaction) instead of multi-row INSERTs.
        raw = s.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy("COPY match_keys (key, canonical_record_id) FROM STDIN") as copy:
            for item in rows:
                copy.write_row(item)
        return
    batch: list[dict[str, int]] = []
    for h, rid in rows:
        batch.append({"key": h, "canonical_record_id": rid})
        if len(batch) >= _WRITE_CHUNK:
            s.execute(insert(match_t), batch)
            batch = []
    if batch:
        s.execute(insert(match_t), batch)


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
