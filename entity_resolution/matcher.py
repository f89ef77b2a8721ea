"""The matcher: groups records into companies, incrementally, in memory, without a database.

Evidence order:
1. Valid identifiers (USCC; organization code, also read out of a USCC or a tax number;
   legacy registration number). An identifier that fails its check is never a key.
2. Names, parsed into trade name + industry + branch (the "name key"), blocked three ways:
   exact name key, and one-character deletions (a single-character typo). A typo scores
   higher when the two characters sound alike (input-method homophones: 华→化, 科→可) or
   share their initial (信→讯). Candidates are adjusted by supporting fields (legal
   representative, date established, address); an exact name beats any typo.

Hard constraints (checked on every link and every merge):
- never two different valid USCCs (nor two different organization codes / registration numbers) in one entity;
- a branch never joins its parent by name (the branch suffix is part of the name key);
- two master-register records never merge by name alone (the register has one row per company);
- steward judgments: `not_same` pairs never share an entity, `split` records stay alone,
  `same` pairs are merged whatever the algorithm thinks.

Entity ids are derived from the strongest identifier of the record that created the
entity (else from the record key), so the same data in the same order gives the same ids.
A merge keeps the stronger entity's id and records a redirect from the other.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from entity_resolution.identifiers import PARSERS, ParsedId, classify_identifier
from entity_resolution.names import (
    ParsedName,
    normalize_name,
    parse_normalized,
    place_names,
)

_KEY_RANK = {"uscc": 3, "org": 2, "reg": 1}
# Bulk resolution reports progress this often (records in priority order).
PROGRESS_EVERY = 100_000


# ---------------------------------------------------------------- inputs and outputs


@dataclass(slots=True)
class MatchRecord:
    """One source record as the matcher sees it. `key` is unique across all sources."""

    key: str
    name: str | None = None
    former_names: tuple[str, ...] = ()
    uscc: str | None = None
    reg_no: str | None = None
    org_code: str | None = None
    tax_no: str | None = None
    address: str | None = None
    legal_rep: str | None = None
    established: str | None = None
    is_register: bool = False
    department: str | None = None


@dataclass(slots=True)
class Flag:
    """Evidence for the stewards. kind: invalid_identifier | identifier_name_conflict | identifier_conflict | ambiguous_name."""

    kind: str
    record_key: str
    evidence: dict[str, object]


@dataclass(slots=True)
class Decision:
    record_key: str
    entity_id: str
    method: str  # identifier | name | judgment | new | split
    score: float | None = None


@dataclass(frozen=True, slots=True)
class MatcherConfig:
    """Scoring knobs. Calibrated on sandbox ground truth (`credithub eval er --sweep`), not per record."""

    accept: float = 0.9
    """A name candidate must score at least this to be linked."""
    margin: float = 0.04
    """…and beat the next entity by this much (else the name is ambiguous)."""
    exact: float = 1.0
    homophone: float = 0.95
    near_homophone: float = 0.9
    one_edit: float = 0.85
    min_core_len_fuzzy: int = 3
    alias_weight: float = 0.95
    """Score factor for names the entity got from other departments (not the register / its identifiers)."""
    conflict_below: float = 0.6
    """A record whose name scores below this against its identifier's entity is a conflict."""
    legal_rep_bonus: float = 0.1
    established_bonus: float = 0.05
    established_penalty: float = 0.2
    address_bonus: float = 0.05
    invalid_identifier_bonus: float = 0.1
    """A mistyped code one character away from the candidate's code supports a name match."""
    region_penalty: float = 0.5


@dataclass(slots=True)
class Judgments:
    """Steward decisions over record keys; they always override the matcher."""

    same: list[tuple[str, str]] = field(default_factory=list)
    not_same: list[tuple[str, str]] = field(default_factory=list)
    split: set[str] = field(default_factory=set)

    def partners(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        must: dict[str, set[str]] = {}
        cannot: dict[str, set[str]] = {}
        for a, b in self.same:
            must.setdefault(a, set()).add(b)
            must.setdefault(b, set()).add(a)
        for a, b in self.not_same:
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)
        return must, cannot


# ---------------------------------------------------------------- internal state


@dataclass(slots=True)
class _Prepared:
    rec: MatchRecord
    ids: list[ParsedId]  # valid identifiers
    invalid: list[ParsedId]
    keys: dict[str, str]  # kind -> value  (uscc / org / reg)
    names: list[_NameInfo]  # primary first, then former names
    clashes: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, kept, ignored)
    address_key: str | None = None  # normalized address, computed once (in the worker for bulk runs)


@dataclass(slots=True)
class _Entity:
    id: str
    seq: int
    strength: int
    records: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    names: dict[str, float] = field(default_factory=dict)  # name key -> weight (1.0 primary, lower alias)
    legal_reps: set[str] = field(default_factory=set)
    established: set[str] = field(default_factory=set)
    addresses: list[str] = field(default_factory=list)
    register_records: int = 0
    cannot: set[str] = field(default_factory=set)
    pinned: bool = False  # split-out record: nothing joins it


def name_key(p: ParsedName) -> str:
    return f"{p.core}|{p.branch}"


@dataclass(frozen=True, slots=True)
class _NameInfo:
    """The parts of a parsed name the matcher compares, computed once per distinct spelling."""

    key: str
    trade: str
    industry: str
    branch: str
    region: str
    core_len: int

    @property
    def deletions(self) -> list[str]:
        """One-character deletions (the typo blocking keys); computed on demand to save memory."""
        key = self.key
        return [key[:i] + key[i + 1 :] for i in range(len(key)) if key[i] != "|"]


@lru_cache(maxsize=262144)
def _name_info_raw(raw: str) -> _NameInfo | None:
    """Departments mostly copy the register's spelling: cache by the raw text as well."""
    return _name_info(normalize_name(raw))


@lru_cache(maxsize=262144)
def _name_info(normalized: str) -> _NameInfo | None:
    parsed = parse_normalized(normalized)
    core = parsed.core
    if not core:
        return None
    key = f"{core}|{parsed.branch}"
    return _NameInfo(key, parsed.trade_name, parsed.industry, parsed.branch, parsed.region, len(core))


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    return lazy_pinyin(ch)[0]


def _deletions(key: str) -> list[str]:
    return [key[:i] + key[i + 1 :] for i in range(len(key)) if key[i] != "|"]


def entity_id_for(seed: str) -> str:
    return "ent_" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:16]


def _prepare(rec: MatchRecord) -> _Prepared:
    ids: list[ParsedId] = []
    invalid: list[ParsedId] = []
    for raw, kind in ((rec.uscc, "uscc"), (rec.org_code, "org_code"), (rec.reg_no, "reg_no"), (rec.tax_no, "tax_no")):
        if not raw:
            continue
        if not isinstance(raw, str):
            raw = str(raw)
        if not raw.strip():
            continue
        parsed = _read_identifier(raw, kind)
        (ids if parsed.valid else invalid).append(parsed)
    keys: dict[str, str] = {}
    if len(ids) > 1:
        ids.sort(key=lambda p: _KIND_ORDER[p.kind])
    clashes: list[tuple[str, str, str]] = []
    for p in ids:
        for kind, value in _keys_of(p):
            if kind not in keys:
                keys[kind] = value
            elif keys[kind] != value:
                # e.g. an organization code that is not the one inside the record's USCC: keep the stronger.
                clashes.append((kind, keys[kind], value))
    address_key = _address_key(rec.address) if rec.address else None
    names: list[_NameInfo] = []
    if not rec.former_names:  # the common case: one name
        info = _name_info_raw(rec.name) if rec.name and rec.name.strip() else None
        return _Prepared(rec=rec, ids=ids, invalid=invalid, keys=keys, names=[info] if info else [], clashes=clashes,
                         address_key=address_key)
    seen: set[str] = set()
    for raw_name in ((rec.name,) if rec.name else ()) + tuple(rec.former_names):
        if not raw_name or not raw_name.strip():
            continue
        info = _name_info_raw(raw_name)
        if info is None:
            continue
        if info.key not in seen:
            seen.add(info.key)
            names.append(info)
    return _Prepared(rec=rec, ids=ids, invalid=invalid, keys=keys, names=names, clashes=clashes,
                     address_key=address_key)


@lru_cache(maxsize=65536)
def _address_key(address: str) -> str:
    """Departments copy the register's address: many records share one spelling."""
    return normalize_name(address)


@lru_cache(maxsize=262144)
def _read_identifier(raw: str, kind: str) -> ParsedId:
    """The reading of one code in one column (cached: a company's code recurs in every department)."""
    labelled = PARSERS[kind](raw)
    if labelled is not None:
        # It has the shape of its column's kind: a failed check is a typo, never another kind by luck
        # (a mistyped 15-digit tax number can pass the registration-number check one time in ten).
        return labelled
    # Another shape: departments put codes in the wrong column (a USCC in a tax-number field).
    readings = classify_identifier(raw)
    other = next((p for p in readings if p.valid), None)
    if other is not None:
        return other
    return readings[0] if readings else _unparseable(raw, kind)


def _unparseable(raw: str, kind: str) -> ParsedId:
    from entity_resolution.identifiers import clean_identifier

    return ParsedId(kind=kind, raw=raw, value=clean_identifier(raw), valid=False, reason="证照号码格式不符")  # type: ignore[arg-type]


_INVALID_KIND = {"uscc": "uscc", "org_code": "org", "tax_no": "org", "reg_no": "reg"}
_KIND_ORDER = {"uscc": 0, "org_code": 1, "tax_no": 2, "reg_no": 3}


def _keys_of(p: ParsedId) -> list[tuple[str, str]]:
    if p.kind == "uscc":
        return [("uscc", p.value), ("org", p.org_code)] if p.org_code else [("uscc", p.value)]
    if p.kind == "reg_no":
        return [("reg", p.value)]
    return [("org", p.org_code or p.value[-9:])]


BLOCKING_KEYS_VERSION = 2
"""Bump when `blocking_keys` changes: a stored match index of another version is rebuilt."""


def blocking_keys(record: MatchRecord) -> list[str]:
    """The keys to store for a record so that `probe_keys` of another record finds it exactly
    when the matcher could bring the two together.

    - identifier keys `uscc:…`, `org:…` (also read out of a USCC or a tax number), `reg:…` — the
      keys `_match_identifiers` looks up (valid codes only; a failed check is never a key);
    - `n:<name key>` for each name (primary and former names): exact names (`_bridge_by_name`,
      exact candidates) and one-character deletions of another record's name;
    - `s:<i>:<name key without its i-th character>`: the positional deletions. Two names one
      substitution apart share the deletion at the same position, one insertion apart the longer
      one's deletion at the inserted position equals the shorter name.

    The matcher's deletion index also pairs names two edits apart (deletions at different
    positions), but scores such pairs 0 (`_name_score`); positions keep them out of the store's
    answer, which is what keeps an incremental batch's reach small.
    """
    return _blocking_keys_of(_prepare(record))


def probe_keys(record: MatchRecord, *, typos: bool = True) -> list[str]:
    """What to look up among other records' `blocking_keys` to find every record this one can be
    matched with: its identifier keys and exact name keys, and with `typos` the `typo_probe_keys`
    of each name (a record placed by a valid identifier reads no typo candidates unless its name
    conflicts with the identifier's entity: `Resolver.typo_probed` tells)."""
    p = _prepare(record)
    out: dict[str, None] = {f"{kind}:{value}": None for kind, value in p.keys.items()}
    for info in p.names:
        out[f"n:{info.key}"] = None
        if typos:
            out.update(dict.fromkeys(typo_probe_keys(info.key)))
    return list(out)


def typo_probe_keys(key: str) -> list[str]:
    """Keys finding the stored names one deletion, substitution or insertion away from name key `key`."""
    out: dict[str, None] = {}
    for i, ch in enumerate(key):
        if ch != "|":
            deleted = key[:i] + key[i + 1 :]
            out[f"n:{deleted}"] = None  # the other name is this one less a character
            out[f"s:{i}:{deleted}"] = None  # one character substituted at i
    for j in range(len(key) + 1):
        out[f"s:{j}:{key}"] = None  # one character inserted at j
    return list(out)


def _blocking_keys_of(p: _Prepared) -> list[str]:
    out: dict[str, None] = {f"{kind}:{value}": None for kind, value in p.keys.items()}
    for info in p.names:
        key = info.key
        out[f"n:{key}"] = None
        for i, ch in enumerate(key):
            if ch != "|":
                out[f"s:{i}:{key[:i]}{key[i + 1 :]}"] = None
    return list(out)


# ---------------------------------------------------------------- the resolver


class Resolver:
    """Incremental entity resolution over an in-memory index."""

    def __init__(self, config: MatcherConfig | None = None, judgments: Judgments | None = None) -> None:
        self.config = config or MatcherConfig()
        self.judgments = judgments or Judgments()
        self._must, self._cannot = self.judgments.partners()
        self.entities: dict[str, _Entity] = {}
        self.redirects: dict[str, str] = {}
        self.record_entity: dict[str, str] = {}
        self.prepared: dict[str, _Prepared] = {}
        self.flags: list[Flag] = []
        self.merges: list[tuple[str, str]] = []  # (loser, survivor)
        self.touched: set[str] = set()
        self._id_index: dict[str, dict[str, str]] = {"uscc": {}, "org": {}, "reg": {}}  # kind -> value -> entity
        self._name_index: dict[str, dict[str, None]] = {}  # name key -> entity ids (ordered set)
        self._parsed_keys: dict[str, _NameInfo] = {}
        self._deletion_index: dict[str, list[str]] = {}
        self._seq = 0
        self._major_regions = place_names()[1]
        # Bulk mode (resolve_bulk) keeps no per-record state and finds typo candidates in a
        # second pass instead of maintaining a deletion index over every name (memory).
        self._track = True
        self._index_deletions = True
        self._exact_only = False
        self._candidate_override: dict[str, list[str]] | None = None
        # Entity ids in use outside this resolver's memory (the database stage loads only the
        # part of the city a batch can reach, yet a new entity must not take an id already held).
        self.id_taken: Callable[[str], bool] | None = None
        # When a set: collects every name key whose typo candidates were looked up, so that a
        # partial load can check it held those candidates (credithub's incremental resolve).
        self.typo_probed: set[str] | None = None

    # ------------------------------------------------------------ public API

    def resolve(self, entity_id: str) -> str:
        """Follow merge redirects to the surviving entity id."""
        seen = entity_id
        while seen in self.redirects:
            seen = self.redirects[seen]
        if seen != entity_id:
            self.redirects[entity_id] = seen  # path compression
        return seen

    def entity_of(self, record_key: str) -> str:
        return self.resolve(self.record_entity[record_key])

    def add_many(self, records: Iterable[MatchRecord]) -> list[Decision]:
        """Resolve a batch; processing order is priority order, so the result does not depend on input order."""
        with _gc_paused():
            prepared = [_prepare(r) for r in records]
            prepared.sort(key=_priority)
            return [self._add_prepared(p) for p in prepared]  # type: ignore[misc]

    def resolve_bulk(self, records: list[MatchRecord], prepared: list[_Prepared] | None = None,
                     progress: Callable[[int], None] | None = None) -> list[str]:
        """Resolve a large batch into a fresh resolver; returns the entity id of each record, in input order.

        Same decisions as `add_many` (identifiers first, then exact names, then typo candidates),
        but with far less memory: typo candidates are found in one pass over all names at the end
        (an index over the few unmatched records, probed with every known name's one-character deletions).
        """
        if self.entities or self.judgments.same or self.judgments.not_same or self.judgments.split:
            raise ValueError("resolve_bulk needs a fresh resolver without judgments")
        self._track = False
        self._index_deletions = False
        out: list[str] = [""] * len(records)
        with _gc_paused():
            if prepared is None:
                prepared = [_prepare(r) for r in records]
            priorities = [_priority(p) for p in prepared]
            order = sorted(range(len(records)), key=priorities.__getitem__)
            del priorities
            deferred: list[tuple[int, _Prepared]] = []
            self._exact_only = True
            for done, i in enumerate(order):
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done)
                p = prepared[i]
                d = self._add_prepared(p, defer=not p.rec.is_register)
                if d is None:
                    deferred.append((i, p))
                else:
                    out[i] = d.entity_id
            self._exact_only = False
            self._candidate_override = self._typo_candidates([p for _, p in deferred])
            for i, p in deferred:
                d = self._add_prepared(p, report_invalid=False)
                assert d is not None
                out[i] = d.entity_id
            self._candidate_override = None
        return [self.resolve(e) for e in out]

    def _typo_candidates(self, deferred: list[_Prepared]) -> dict[str, list[str]]:
        """name key of a deferred record -> known name keys one character away."""
        probe: dict[str, list[str]] = {}
        wanted: set[str] = set()
        for p in deferred:
            for info in p.names:
                if info.key in wanted:
                    continue
                wanted.add(info.key)
                for d in (info.key, *info.deletions):
                    probe.setdefault(d, []).append(info.key)
        found: dict[str, list[str]] = {}
        if not probe:
            return found
        for nk, info in self._parsed_keys.items():
            for d in (nk, *info.deletions):
                hits = probe.get(d)
                if hits:
                    for own in hits:
                        bucket = found.setdefault(own, [])
                        if nk not in bucket:
                            bucket.append(nk)
        return found

    def add(self, record: MatchRecord) -> Decision:
        """Match one new record against the existing entities (the incremental path)."""
        decision = self._add_prepared(_prepare(record))
        assert decision is not None
        return decision

    def attach(self, record: MatchRecord, entity_id: str) -> None:
        """Load an already-resolved record into the index under its stored entity (no matching)."""
        p = _prepare(record)
        ent = self.entities.get(entity_id)
        if ent is None:
            ent = self._new_entity_with_id(entity_id, _strength(p))
        self._link(p, ent, quiet=True)

    def add_redirect(self, loser: str, survivor: str) -> None:
        """Load a stored merge (loser entity now lives on as survivor)."""
        if loser != survivor:
            self.redirects[loser] = survivor

    def detach(self, record_key: str) -> str | None:
        """Take a record out of its entity (a steward judgment moved it); returns the old entity id."""
        old = self.record_entity.pop(record_key, None)
        if old is None:
            return None
        old = self.resolve(old)
        ent = self.entities[old]
        remaining = [k for k in ent.records if k != record_key]
        # Rebuild the entity's evidence from what is left so it stops attracting the moved record's twins.
        fresh = _Entity(id=ent.id, seq=ent.seq, strength=0, pinned=ent.pinned)
        self.entities[old] = fresh
        for k in remaining:
            self._link(self.prepared[k], fresh, quiet=True)
        self.touched.add(old)
        return old

    def enforce_judgments(self) -> list[Decision]:
        """Make the current state obey every judgment (after `attach`ing stored links); returns moves."""
        moved: list[Decision] = []
        for key in sorted(self.judgments.split):
            if key not in self.record_entity:
                continue
            ent = self.entities[self.entity_of(key)]
            if len(ent.records) > 1:
                self.detach(key)
                moved.append(self._add_prepared(self.prepared[key], report_invalid=False))  # type: ignore[arg-type]
            else:
                ent.pinned = True
        for a, b in self.judgments.not_same:
            if a in self.record_entity and b in self.record_entity and self.entity_of(a) == self.entity_of(b):
                self.detach(b)
                moved.append(self._add_prepared(self.prepared[b], report_invalid=False))  # type: ignore[arg-type]
        for a, b in self.judgments.same:
            # (a, b): "record a belongs with record b".
            if a in self.record_entity and b in self.record_entity:
                ea, eb = self.entity_of(a), self.entity_of(b)
                if ea == eb:
                    continue
                if self._compatible(self.entities[ea], self.entities[eb]):
                    self._merge(ea, eb)
                else:
                    self.detach(a)
                    self._link(self.prepared[a], self.entities[eb])
                    moved.append(Decision(a, eb, "judgment", None))
        return moved

    def blocking_keys(self, record_key: str) -> list[str]:
        """`blocking_keys` of a record this resolver has attached or added (from its prepared form)."""
        return _blocking_keys_of(self.prepared[record_key])

    def clusters(self) -> dict[str, str]:
        """record key -> surviving entity id."""
        return {k: self.resolve(e) for k, e in self.record_entity.items()}

    # ------------------------------------------------------------ core

    def _add_prepared(self, p: _Prepared, *, defer: bool = False, report_invalid: bool = True) -> Decision | None:
        rec = p.rec
        if self._track:
            self.prepared[rec.key] = p
        for bad in p.invalid if report_invalid else ():
            self.flags.append(Flag("invalid_identifier", rec.key, {
                "kind": bad.kind, "value": bad.raw, "normalized": bad.value, "reason_zh": bad.reason,
                "department": rec.department,
            }))
        for kind, kept, ignored in p.clashes if report_invalid else ():
            self.flags.append(Flag("identifier_conflict", rec.key, {
                "kind": kind, "kept": kept, "ignored": ignored, "department": rec.department,
            }))
        if rec.key in self.judgments.split:
            ent = self._create(p, seed=f"split:{rec.key}", pinned=True)
            self._link(p, ent)
            return Decision(rec.key, ent.id, "split", None)

        decision = self._match_identifiers(p)
        if decision is None:
            decision = self._match_name(p)
        if decision is None and defer:
            return None
        if decision is None:
            ent = self._create(p)
            self._link(p, ent)
            decision = Decision(rec.key, ent.id, "new", None)
        # Steward "same" judgments: two compatible entities merge; otherwise the record goes to its partner.
        for partner in sorted(self._must.get(rec.key, ())) if self._must else ():
            if partner in self.record_entity and rec.key in self.record_entity:
                other, mine = self.entity_of(partner), self.entity_of(rec.key)
                if other == mine:
                    continue
                if self._compatible(self.entities[mine], self.entities[other]):
                    survivor = self._merge(mine, other)
                else:
                    self.detach(rec.key)
                    self._link(p, self.entities[other])
                    survivor = other
                decision = Decision(rec.key, survivor, "judgment", None)
        decision.entity_id = self.resolve(decision.entity_id)
        return decision

    def _match_identifiers(self, p: _Prepared) -> Decision | None:
        hits: list[tuple[int, str, str, str]] = []  # (rank, kind, value, entity id)
        index = self._id_index
        redirects, entities = self.redirects, self.entities
        for kind, value in p.keys.items():
            eid = index[kind].get(value)
            if eid is None:
                continue
            if eid in redirects:
                eid = self.resolve(eid)
            if entities[eid].keys.get(kind) != value:
                continue  # stale index entry (entity rebuilt after a detach)
            hits.append((_KEY_RANK[kind], kind, value, eid))
        if not hits:
            return None
        if len(hits) > 1:
            hits.sort(key=lambda h: -h[0])
        target = hits[0][3]
        rec = p.rec
        conflict = False
        # The name must not clearly belong to another company.
        if p.names and self.entities[target].names:
            score = self._best_name_score(p, self.entities[target])
            if score < self.config.conflict_below:
                # The identifier may be the wrong company's: look for the name without trusting it.
                elsewhere = self._find_by_name(p, exclude=target, trust_keys=False)
                evidence: dict[str, object] = {
                    "identifier": f"{hits[0][1]}:{hits[0][2]}", "identifier_entity": target, "name": rec.name,
                    "entity_names": sorted(self.entities[target].names)[:5], "name_score": round(score, 3),
                    "department": rec.department,
                }
                if elsewhere is not None:
                    eid, nscore = elsewhere
                    evidence["name_entity"] = eid
                    self.flags.append(Flag("identifier_name_conflict", rec.key, evidence))
                    self._link(p, self.entities[eid], index_keys=False)
                    return Decision(rec.key, eid, "name", nscore)
                self.flags.append(Flag("identifier_name_conflict", rec.key, evidence))
                conflict = True
                if rec.is_register and self.entities[target].register_records:
                    # Two register rows with unrelated names are two companies whatever code they share.
                    return None
        if not self._compatible_record(p, self.entities[target]):
            # A judgment forbids it: the identifier is not enough.
            return None
        self._link(p, self.entities[target])
        survivor = target
        for _, kind, value, eid in hits[1:]:
            eid = self.resolve(eid)
            survivor = self.resolve(survivor)
            if eid == survivor:
                continue
            if self._compatible(self.entities[survivor], self.entities[eid]):
                survivor = self._merge(survivor, eid)
            else:
                self.flags.append(Flag("identifier_conflict", rec.key, {
                    "identifier": f"{kind}:{value}", "entity": eid, "kept_entity": survivor, "department": rec.department,
                }))
        if not conflict:
            survivor = self._bridge_by_name(p, self.resolve(survivor))
        return Decision(rec.key, self.resolve(survivor), "identifier", 1.0)

    def _bridge_by_name(self, p: _Prepared, survivor: str) -> str:
        """An identifier-backed record whose exact name is another entity's primary name joins the two.

        This is what makes the outcome independent of arrival order: a register row with a
        mistyped USCC and a tax row with the right one describe the same company.
        """
        for parsed in p.names[:1]:
            nk = parsed.key
            bucket = self._name_index.get(nk)
            if not bucket or (len(bucket) == 1 and survivor in bucket):
                continue  # the common case: only this entity has the name
            for eid in list(bucket):
                eid = self.resolve(eid)
                if eid == survivor:
                    continue
                other = self.entities[eid]
                if other.names.get(nk, 0.0) < 1.0:
                    continue
                ent = self.entities[survivor]
                if ent.register_records and other.register_records:
                    continue
                if self._compatible(ent, other):
                    survivor = self._merge(survivor, eid)
        return survivor

    def _match_name(self, p: _Prepared) -> Decision | None:
        found = self._find_by_name(p)
        if found is None:
            return None
        eid, score = found
        self._link(p, self.entities[eid])
        return Decision(p.rec.key, eid, "name", score)

    def _find_by_name(
        self, p: _Prepared, exclude: str | None = None, *, trust_keys: bool = True
    ) -> tuple[str, float] | None:
        if not p.names:
            return None
        cfg = self.config
        # entity -> (exact name key match?, score). An exact match outranks any typo match.
        best: dict[str, tuple[bool, float]] = {}
        for i, parsed in enumerate(p.names):
            own = parsed.key
            factor = 1.0 if i == 0 else cfg.alias_weight
            for cand in self._candidate_keys(parsed):
                cparsed = self._parsed_keys[cand]
                base = self._name_score(parsed, cparsed, own, cand)
                if base <= 0:
                    continue
                exact = cand == own
                for eid in self._name_index.get(cand, ()):
                    eid = self.resolve(eid)
                    if eid == exclude:
                        continue
                    ent = self.entities[eid]
                    weight = ent.names.get(cand)
                    if weight is None:
                        continue
                    score = (exact, base * factor * weight + self._support(p, ent))
                    if score > best.get(eid, (False, 0.0)):
                        best[eid] = score
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: (not kv[1][0], -kv[1][1], kv[0]))
        for pos, (eid, (exact, score)) in enumerate(ranked):
            if score < cfg.accept:
                if exact:
                    continue
                return None
            ent = self.entities[eid]
            if not self._compatible_record(p, ent, trust_keys) or (p.rec.is_register and ent.register_records):
                continue
            runner = next(
                (s for e, (x, s) in ranked[pos + 1 :]
                 if x == exact and self._compatible_record(p, self.entities[e], trust_keys)),
                0.0,
            )
            if score - runner < cfg.margin:
                self.flags.append(Flag("ambiguous_name", p.rec.key, {
                    "name": p.rec.name, "candidates": [e for e, _ in ranked[pos : pos + 3]],
                    "scores": [round(s, 3) for _, (_, s) in ranked[pos : pos + 3]], "department": p.rec.department,
                }))
                return None
            return eid, score
        return None

    def _candidate_keys(self, info: _NameInfo) -> list[str]:
        out: dict[str, None] = {}
        own = info.key
        if own in self._parsed_keys:
            out[own] = None
        if self._exact_only:
            return list(out)
        if self.typo_probed is not None:
            self.typo_probed.add(own)
        if self._candidate_override is not None:
            for k in self._candidate_override.get(own, ()):
                out[k] = None
            return list(out)
        index = self._deletion_index
        for d in (own, *info.deletions):
            ks = index.get(d)
            if ks:
                for k in ks:
                    out[k] = None
        return list(out)

    def _name_score(self, a: _NameInfo, b: _NameInfo, ka: str, kb: str) -> float:
        cfg = self.config
        if bool(a.branch) != bool(b.branch):
            return 0.0  # a branch is never its parent
        if ka == kb:
            score = cfg.exact
        else:
            if a.trade == b.trade and a.industry and b.industry and a.industry != b.industry:
                return 0.0  # 华信科技 vs 华信电子: another company
            if a.core_len < cfg.min_core_len_fuzzy or b.core_len < cfg.min_core_len_fuzzy:
                return 0.0
            if Levenshtein.distance(ka, kb, score_cutoff=1) <= 1:
                score = self._typo_score(ka, kb)
            else:
                # Two or more characters apart is another name (晨通 vs 晨同 科技 are two companies).
                return 0.0
        if a.region and b.region and a.region != b.region and a.region in self._major_regions and b.region in self._major_regions:
            score *= cfg.region_penalty
        return score

    def _typo_score(self, ka: str, kb: str) -> float:
        """One character differs: a homophone (input method) or a near-homophone scores higher."""
        cfg = self.config
        if len(ka) != len(kb):
            return cfg.one_edit
        i = next(i for i, (x, y) in enumerate(zip(ka, kb, strict=True)) if x != y)
        pa, pb = _char_pinyin(ka[i]), _char_pinyin(kb[i])
        if pa == pb:
            return cfg.homophone
        if pa[:1] == pb[:1] and pa[:1].isalpha() and pa[:1].islower():
            return cfg.near_homophone
        return cfg.one_edit

    def _best_name_score(self, p: _Prepared, ent: _Entity) -> float:
        """Loose similarity of the record's names to the entity's (for conflict detection only)."""
        best = 0.0
        for parsed in p.names:
            own = parsed.key
            for cand in ent.names:
                if cand == own:
                    return 1.0
                cp = self._parsed_keys[cand]
                if bool(cp.branch) != bool(parsed.branch):
                    continue
                if cp.trade == parsed.trade and cp.industry and parsed.industry and cp.industry != parsed.industry:
                    continue
                best = max(best, fuzz.ratio(own, cand) / 100.0)
        return best

    def _support(self, p: _Prepared, ent: _Entity) -> float:
        cfg = self.config
        rec = p.rec
        bonus = 0.0
        # A code that failed its check is no key, but one character away from the entity's code it is evidence.
        for bad in p.invalid:
            kind = _INVALID_KIND.get(bad.kind)
            have = ent.keys.get(kind) if kind else None
            if have and len(bad.value) >= 9:
                value = bad.value[-9:] if kind == "org" and len(bad.value) != 9 else bad.value
                if Levenshtein.distance(value, have, score_cutoff=1) <= 1:
                    bonus += cfg.invalid_identifier_bonus
                    break
        if rec.legal_rep and ent.legal_reps:
            if rec.legal_rep.strip() in ent.legal_reps:
                bonus += cfg.legal_rep_bonus
        if rec.established and ent.established:
            bonus += cfg.established_bonus if rec.established in ent.established else -cfg.established_penalty
        addr = p.address_key
        if addr is not None and ent.addresses:
            if any(fuzz.ratio(addr, a) >= 90 for a in ent.addresses):
                bonus += cfg.address_bonus
        return bonus

    # ------------------------------------------------------------ constraints

    def _compatible_record(self, p: _Prepared, ent: _Entity, trust_keys: bool = True) -> bool:
        if ent.pinned:
            return False
        if trust_keys:
            for kind, value in p.keys.items():
                have = ent.keys.get(kind)
                if have is not None and have != value:
                    return False
        cannot = self._cannot.get(p.rec.key)
        if cannot and any(r in cannot for r in ent.records):
            return False
        if ent.cannot and p.rec.key in ent.cannot:
            return False
        return True

    def _compatible(self, a: _Entity, b: _Entity) -> bool:
        if a.pinned or b.pinned:
            return False
        for kind, value in a.keys.items():
            other = b.keys.get(kind)
            if other is not None and other != value:
                return False
        if a.cannot and any(r in a.cannot for r in b.records):
            return False
        if b.cannot and any(r in b.cannot for r in a.records):
            return False
        return True

    # ------------------------------------------------------------ mutation

    def _create(self, p: _Prepared, seed: str | None = None, pinned: bool = False) -> _Entity:
        if seed is None:
            seed = next((f"{k}:{v}" for k, v in p.keys.items()), f"record:{p.rec.key}")
        eid = entity_id_for(seed)
        n = 1
        taken = self.id_taken
        while eid in self.entities or eid in self.redirects or (taken is not None and taken(eid)):
            n += 1
            eid = entity_id_for(f"{seed}#{n}")
        ent = self._new_entity_with_id(eid, _strength(p))
        ent.pinned = pinned
        return ent

    def _new_entity_with_id(self, eid: str, strength: int) -> _Entity:
        self._seq += 1
        ent = _Entity(id=eid, seq=self._seq, strength=strength)
        self.entities[eid] = ent
        return ent

    def _link(self, p: _Prepared, ent: _Entity, *, quiet: bool = False, index_keys: bool = True) -> None:
        rec = p.rec
        if self._track:
            self.prepared[rec.key] = p
            self.record_entity[rec.key] = ent.id
            ent.records.append(rec.key)
        if not quiet:
            self.touched.add(ent.id)
        if rec.is_register:
            ent.register_records += 1
        if self._cannot:
            cannot = self._cannot.get(rec.key)
            if cannot:
                ent.cannot |= cannot
        if ent.pinned:
            return
        if index_keys:
            for kind, value in p.keys.items():
                have = ent.keys.setdefault(kind, value)
                if have != value:
                    continue  # a judgment put a record with another identifier here: it is no key of this entity
                rank = _KEY_RANK[kind]
                if rank > ent.strength:
                    ent.strength = rank
                by_value = self._id_index[kind]
                current = by_value.get(value)
                if current is None or (
                    current != ent.id and self.entities.get(self.resolve(current), ent).keys.get(kind) != value
                ):
                    by_value[value] = ent.id
        # Names from the register or from identifier-backed records are primary; others are aliases.
        weight = 1.0 if (rec.is_register or (p.keys and not ent.names)) else self.config.alias_weight
        for i, parsed in enumerate(p.names):
            self._index_name(parsed, ent, weight if i == 0 else weight * self.config.alias_weight)
        if rec.legal_rep:
            ent.legal_reps.add(rec.legal_rep.strip())
        if rec.established:
            ent.established.add(rec.established)
        addr = p.address_key
        if addr is not None and len(ent.addresses) < 4:
            if addr not in ent.addresses:
                ent.addresses.append(addr)

    def _index_name(self, parsed: _NameInfo, ent: _Entity, weight: float) -> None:
        nk = parsed.key
        if ent.names.get(nk, 0.0) < weight:
            ent.names[nk] = weight
        bucket = self._name_index.get(nk)
        if bucket is None:
            self._name_index[nk] = {ent.id: None}
            self._parsed_keys[nk] = parsed
            if not self._index_deletions:
                return
            index = self._deletion_index
            for d in (nk, *parsed.deletions):
                bucket_d = index.get(d)
                if bucket_d is None:
                    index[d] = [nk]
                else:
                    bucket_d.append(nk)
        elif ent.id not in bucket:
            bucket[ent.id] = None

    def _merge(self, a: str, b: str, *, forced: bool = False) -> str:
        a, b = self.resolve(a), self.resolve(b)
        if a == b:
            return a
        ea, eb = self.entities[a], self.entities[b]
        survivor, loser = (ea, eb) if (-ea.strength, ea.seq) <= (-eb.strength, eb.seq) else (eb, ea)
        if forced and (survivor.pinned or loser.pinned):
            survivor.pinned = loser.pinned = False
        if self._track:
            for k in loser.records:
                self.record_entity[k] = survivor.id
            survivor.records.extend(loser.records)
        for kind, value in loser.keys.items():
            survivor.keys.setdefault(kind, value)
            self._id_index[kind][value] = survivor.id
        for nk, w in loser.names.items():
            if survivor.names.get(nk, 0.0) < w:
                survivor.names[nk] = w
            self._name_index[nk][survivor.id] = None
        survivor.strength = max(survivor.strength, loser.strength)
        survivor.legal_reps |= loser.legal_reps
        survivor.established |= loser.established
        survivor.addresses.extend(a for a in loser.addresses if a not in survivor.addresses)
        survivor.register_records += loser.register_records
        survivor.cannot |= loser.cannot
        del self.entities[loser.id]
        self.redirects[loser.id] = survivor.id
        self.merges.append((loser.id, survivor.id))
        self.touched.add(survivor.id)
        self.touched.discard(loser.id)
        return survivor.id


# ---------------------------------------------------------------- parallel preparation (bulk)
# Parsing identifiers and names is most of bulk resolution's work and needs no shared state, so
# `credithub resolve` prepares records in worker processes and ships them back as plain tuples.

PackedRecord = tuple


def pack_prepared(p: _Prepared, names: dict[int, int], table: list[_NameInfo]) -> PackedRecord:
    """Only what matching needs after preparation: the raw codes and former names are already parsed,
    and the address travels normalized (the parent never needs the raw spelling). Parsed names go
    once per chunk into `table` and records carry their positions (a spelling recurs across
    departments; unpacking then builds and hashes each parse once, not once per record)."""
    r = p.rec
    positions = []
    for n in p.names:
        at = names.get(id(n))
        if at is None:
            at = names[id(n)] = len(table)
            table.append(n)
        positions.append(at)
    return (
        r.key, r.name, p.address_key, r.legal_rep, r.established, r.is_register, r.department,
        tuple((b.kind, b.raw, b.value, b.valid, b.reason, b.org_code, b.region) for b in p.invalid),
        tuple(p.keys.items()),
        tuple(positions),
        tuple(p.clashes),
    )


PackedChunk = tuple


def prepare_packed(records: Iterable[MatchRecord]) -> PackedChunk:
    """(parsed-name table, packed records) for one chunk of records."""
    names: dict[int, int] = {}
    table: list[_NameInfo] = []  # also keeps each _NameInfo alive, so id() stays unique
    packed = [pack_prepared(_prepare(r), names, table) for r in records]
    return tuple((n.key, n.trade, n.industry, n.branch, n.region, n.core_len) for n in table), packed


def unpack_chunk(chunk: PackedChunk, name_cache: dict[tuple, _NameInfo]) -> list[_Prepared]:
    """Rebuild prepared records; `name_cache` shares one _NameInfo per distinct parse across chunks.

    Keyed by the whole parse, not the name key: two spellings with one key can differ in region
    (the region penalty reads it), and the one-process path keeps them apart too."""
    table, packed = chunk
    infos = []
    for n in table:
        info = name_cache.get(n)
        if info is None:
            info = name_cache[n] = _NameInfo(*n)
        infos.append(info)
    out = []
    append = out.append
    for t in packed:
        rec = MatchRecord(key=t[0], name=t[1], address=t[2], legal_rep=t[3], established=t[4],
                          is_register=t[5], department=t[6])
        # Only read after this point (never appended to): the empty cases share one tuple instead
        # of building two million empty lists.
        append(_Prepared(rec=rec, ids=_NONE, invalid=[ParsedId(*b) for b in t[7]] if t[7] else _NONE,  # type: ignore[arg-type]
                         keys=dict(t[8]), names=[infos[i] for i in t[9]], clashes=t[10],  # type: ignore[arg-type]
                         address_key=t[2]))
    return out


_NONE: tuple = ()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Bulk resolution allocates millions of long-lived objects and no cycles; the cyclic
    collector would rescan them over and over (measured: 2-3x slower)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _strength(p: _Prepared) -> int:
    return max((_KEY_RANK[k] for k in p.keys), default=0)


def _priority(p: _Prepared) -> tuple[int, int, str]:
    """Register rows first (they carry the crosswalk and former names), then identifier-backed rows."""
    rec = p.rec
    group = 0 if rec.is_register else 1 if "uscc" in p.keys else 2 if p.keys else 3
    return (group, -len(p.keys), rec.key)


def resolve_records(
    records: Iterable[MatchRecord], config: MatcherConfig | None = None, judgments: Judgments | None = None
) -> Resolver:
    """Resolve a whole batch in memory; `.clusters()` on the result maps record keys to entity ids."""
    resolver = Resolver(config, judgments)
    resolver.add_many(records)
    return resolver
