"""Incremental resolve through the persistent match index gives exactly what a full reload gives.

Each scenario builds one database, copies it, and resolves the same new and changed records on the
copies two ways: incrementally (only what `match_keys` says the batch can reach is loaded) and by
the full reload (every resolved record in memory). Entities (ids, status, redirects), links (entity,
method, score), steward flags and the match index itself must be identical. Real data: the sandbox
city, one day of new records and 5 % changed records, plus hand-made changes that move records
between companies, mistype names and steward judgments. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rapidfuzz.distance import Levenshtein
from sqlalchemy import create_engine, func, select, text, update

from credithub import sandbox
from credithub.pipeline.resolve import ResolveReport, match_key_hash, record_key, resolve_pending
from credithub.pipeline.run import ingest_department, source_endpoints
from credithub.pipeline.sources import load_connectors
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
)
from entity_resolution.matcher import MatchRecord, blocking_keys, entity_id_for, name_key, probe_keys
from entity_resolution.names import parse_name
from tests.pipeline.test_resolve_stage import A, B, add_record

COMPANIES = 300
_RUN_FIELDS = ("seconds", "mode", "loaded_records", "passes")  # how a run worked, not what it decided


# ---------------------------------------------------------------- databases in pairs


class Pair:
    """Two databases with the same content: `inc` is resolved incrementally, `full` by full reload."""

    def __init__(self, settings: Settings, make_copy: Callable[[], Settings]) -> None:
        self.settings = settings
        self.inc = Database(settings.resolved_database_url)
        self.inc.migrate()
        self._make_copy = make_copy
        self.full: Database | None = None
        self.full_settings: Settings | None = None

    def split(self) -> None:
        """Copy `inc` to `full` (from here on both get the same inputs)."""
        self.inc.dispose()
        self.full_settings = self._make_copy()
        self.full = Database(self.full_settings.resolved_database_url)

    def both(self) -> list[tuple[Database, Settings]]:
        assert self.full is not None and self.full_settings is not None
        return [(self.inc, self.settings), (self.full, self.full_settings)]

    def resolve(self) -> tuple[ResolveReport, ResolveReport]:
        assert self.full is not None and self.full_settings is not None
        inc = resolve_pending(self.inc, self.settings)
        full = resolve_pending(self.full, self.full_settings, full_reload=True)
        return inc, full

    def dispose(self) -> None:
        self.inc.dispose()
        if self.full is not None:
            self.full.dispose()


def _sqlite_settings(var: Path) -> Settings:
    return Settings(var_dir=var, database_url=None, search_backend="embedded", es_url=None,
                    sandbox_companies=COMPANIES)


@pytest.fixture
def sqlite_pair(tmp_path: Path) -> Iterator[Pair]:
    settings = _sqlite_settings(tmp_path / "var")
    settings.var_dir.mkdir(parents=True)

    def make_copy() -> Settings:
        source = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
        target = tmp_path / "full.db"
        shutil.copyfile(source, target)
        return settings.model_copy(update={"database_url": f"sqlite:///{target}"})

    pair = Pair(settings, make_copy)
    yield pair
    pair.dispose()


@pytest.fixture
def pg_pair(tmp_path: Path, pg_server_url: str) -> Iterator[Pair]:
    admin_url = pg_server_url.rsplit("/", 1)[0] + "/postgres"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = [f"credithub_inc_{uuid.uuid4().hex[:10]}", f"credithub_full_{uuid.uuid4().hex[:10]}"]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
    base = pg_server_url.rsplit("/", 1)[0]
    settings = _sqlite_settings(tmp_path / "var").model_copy(update={"database_url": f"{base}/{names[0]}"})
    settings.var_dir.mkdir(parents=True)

    def make_copy() -> Settings:
        with admin.connect() as conn:  # every connection to the source is closed (Pair.split)
            conn.execute(text(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"'))
        return settings.model_copy(update={"database_url": f"{base}/{names[1]}"})

    pair = Pair(settings, make_copy)
    yield pair
    pair.dispose()
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _ingest(db: Database, settings: Settings) -> None:
    """Sync and validate every sandbox department (what `credithub run` does before resolve)."""
    with source_endpoints(settings) as base_urls:
        for connector in load_connectors(settings, base_urls).values():
            outcome = ingest_department(db, settings, connector)
            assert outcome.error is None, outcome.error


# ---------------------------------------------------------------- what must be identical


def _state(db: Database) -> dict[str, Any]:
    with db.session() as s:
        keys = {cid: record_key(d, ds, sid) for cid, d, ds, sid in s.execute(
            select(CanonicalRecordRow.id, CanonicalRecordRow.department, CanonicalRecordRow.dataset,
                   CanonicalRecordRow.source_record_id))}
        return {
            "entities": {eid: (status, into) for eid, status, into in s.execute(
                select(Entity.id, Entity.status, Entity.merged_into))},
            "links": {keys[cid]: (eid, method, None if score is None else round(score, 9))
                      for cid, eid, method, score in s.execute(
                          select(EntityLink.canonical_record_id, EntityLink.entity_id, EntityLink.method,
                                 EntityLink.score))},
            "dirty": sorted(s.scalars(select(Entity.id).where(Entity.dirty.is_(True)))),
            "flags": sorted((f.kind, keys.get(f.canonical_record_id or 0), f.status,
                             json.dumps(f.evidence, sort_keys=True, ensure_ascii=False))
                            for f in s.scalars(select(ResolutionFlag))),
            "match_keys": sorted((k, keys[cid]) for k, cid in s.execute(
                select(MatchKey.key, MatchKey.canonical_record_id))),
            "unresolved": s.scalar(select(func.count()).select_from(CanonicalRecordRow)
                                   .where(CanonicalRecordRow.resolved.is_(False))),
        }


def _assert_same(pair: Pair, inc: ResolveReport, full: ResolveReport) -> dict[str, Any]:
    assert pair.full is not None
    assert inc.mode == "incremental" and full.mode == "full"
    a, b = _state(pair.inc), _state(pair.full)
    assert a["unresolved"] == 0 == b["unresolved"]
    assert a["entities"] == b["entities"]
    diff = {k: (a["links"].get(k), b["links"].get(k)) for k in a["links"].keys() | b["links"].keys()
            if a["links"].get(k) != b["links"].get(k)}
    assert not diff, f"{len(diff)} links differ, e.g. {sorted(diff.items())[:3]}"
    assert a["dirty"] == b["dirty"]
    assert a["flags"] == b["flags"]
    # The index kept by incremental runs is the index a rebuild from every record writes.
    assert a["match_keys"] == b["match_keys"]
    counts = {k: v for k, v in inc.model_dump().items() if k not in _RUN_FIELDS}
    assert counts == {k: v for k, v in full.model_dump().items() if k not in _RUN_FIELDS}
    return a


# ---------------------------------------------------------------- hand-made changes


def _rewrite(db: Database, changes: dict[str, dict[str, Any]]) -> None:
    """A department's new version of a record: new data, to be re-resolved."""
    with db.session() as s:
        for key, data in changes.items():
            department, dataset, source_id = key.split("/", 2)
            s.execute(update(CanonicalRecordRow).where(
                CanonicalRecordRow.department == department, CanonicalRecordRow.dataset == dataset,
                CanonicalRecordRow.source_record_id == source_id).values(data=data, resolved=False))


def _hand_made_changes(db: Database, seed: int) -> dict[str, dict[str, Any]]:
    """Records that move to another company, lose their identifier, or get a mistyped name."""
    rng = random.Random(seed)
    with db.session() as s:
        rows = [(record_key(d, ds, sid), data, eid) for d, ds, sid, data, eid in s.execute(
            select(CanonicalRecordRow.department, CanonicalRecordRow.dataset, CanonicalRecordRow.source_record_id,
                   CanonicalRecordRow.data, EntityLink.entity_id)
            .join(EntityLink, EntityLink.canonical_record_id == CanonicalRecordRow.id)
            .order_by(CanonicalRecordRow.id))]
    registers = [r for r in rows if r[1].get("is_register") and r[1].get("uscc")]
    others = [r for r in rows if not r[1].get("is_register") and r[1].get("name")]
    changes: dict[str, dict[str, Any]] = {}
    for key, data, eid in rng.sample(others, 12):
        target = rng.choice([r for r in registers if r[2] != eid])[1]
        # The department corrects the record: it was about another company (name and code).
        changes[key] = {**data, "name": target["name"], "uscc": target["uscc"], "tax_no": None, "org_code": None}
    for key, data, _ in rng.sample([r for r in others if r[0] not in changes], 8):
        name = str(data["name"])
        i = rng.randrange(2, max(3, len(name) - 4))
        # A mistyped name and no identifier: matched (or not) by name alone.
        changes[key] = {**data, "name": name[:i] + "鑫" + name[i + 1 :], "uscc": None, "tax_no": None,
                        "org_code": None, "reg_no": None}
    return changes


def _judgments(db: Database, seed: int) -> list[MatchJudgment]:
    """Steward decisions over records of the stored entities: split, not_same, same."""
    rng = random.Random(seed)
    with db.session() as s:
        members: dict[str, list[str]] = {}
        for d, ds, sid, eid in s.execute(
            select(CanonicalRecordRow.department, CanonicalRecordRow.dataset, CanonicalRecordRow.source_record_id,
                   EntityLink.entity_id).join(EntityLink, EntityLink.canonical_record_id == CanonicalRecordRow.id)
            .order_by(CanonicalRecordRow.id)):
            members.setdefault(eid, []).append(record_key(d, ds, sid))
    big = [m for _, m in sorted(members.items()) if len(m) >= 3]
    picked = rng.sample(big, 4)
    now = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    return [
        MatchJudgment(kind="split", record_a=picked[0][-1], author="t", created_at=now),
        MatchJudgment(kind="not_same", record_a=picked[1][0], record_b=picked[1][-1], author="t", created_at=now),
        # "same" across two companies: merges when compatible, else moves the record.
        MatchJudgment(kind="same", record_a=picked[2][-1], record_b=picked[3][0], author="t", created_at=now),
    ]


# ---------------------------------------------------------------- the sandbox city, day by day


def _city_days(pair: Pair, *, with_judgments: bool) -> None:
    _ingest(pair.inc, pair.settings)
    first = resolve_pending(pair.inc, pair.settings)
    assert first.mode == "first_load" and first.records > 1000
    with pair.inc.session() as s:
        assert s.scalar(select(func.count()).select_from(MatchKey)) > 5 * first.records  # ids + name blocks
    pair.split()
    assert pair.full is not None

    for day in (1, 2):
        sandbox.advance(pair.settings.sandbox_dir, change_share=0.05)
        judgments = _judgments(pair.inc, day) if with_judgments and day == 1 else []
        changes = _hand_made_changes(pair.inc, day)
        for db, settings in pair.both():
            _ingest(db, settings)
            _rewrite(db, changes)
            with db.session() as s:
                for j in judgments:
                    s.add(MatchJudgment(kind=j.kind, record_a=j.record_a, record_b=j.record_b, author=j.author,
                                        created_at=j.created_at))
        inc, full = pair.resolve()
        assert inc.records == full.records > len(changes)
        state = _assert_same(pair, inc, full)
        # Incremental: a fraction of the city reached through the index, not all of it.
        assert 0 < inc.loaded_records < full.loaded_records / 2, (inc.loaded_records, full.loaded_records)
        assert inc.passes >= 2  # the mistyped names were matched by name: their neighbours loaded, matched again
        assert any(v[1] != "identifier" for v in state["links"].values())
        if with_judgments and day == 1:
            assert inc.moved_by_judgment == full.moved_by_judgment > 0
            split = judgments[0].record_a
            assert sum(1 for e, *_ in state["links"].values() if e == state["links"][split][0]) == 1
            a, b = judgments[1].record_a, judgments[1].record_b
            assert state["links"][a][0] != state["links"][b][0]


def test_sandbox_days_with_judgments_incremental_equals_full_reload_sqlite(sqlite_pair: Pair) -> None:
    _city_days(sqlite_pair, with_judgments=True)


def test_sandbox_days_with_judgments_incremental_equals_full_reload_postgresql(pg_pair: Pair) -> None:
    _city_days(pg_pair, with_judgments=True)


# ---------------------------------------------------------------- small cases, both engines


@pytest.fixture(params=["sqlite", "postgresql"])
def any_pair(request: pytest.FixtureRequest) -> Pair:
    return request.getfixturevalue("sqlite_pair" if request.param == "sqlite" else "pg_pair")


def _add_both(pair: Pair, *args: Any, **fields: Any) -> None:
    for db, _ in pair.both():
        add_record(db, *args, **fields)


def test_moves_merges_and_new_ids_match_the_full_reload(any_pair: Pair) -> None:
    pair = any_pair
    from stdnum.iso7064 import mod_11_10

    reg = "44030510123456" + mod_11_10.calc_check_digit("44030510123456")
    add_record(pair.inc, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A, is_register=True)
    add_record(pair.inc, "tax", "tax_ratings", "T1", name="深圳市华信科技有限公司", uscc=A)
    add_record(pair.inc, "courts", "judgments", "C1", name="深圳市博远物流有限公司")  # name only: its own entity
    add_record(pair.inc, "housing_construction", "permits", "H1", name="深圳市华信智能有限公司", reg_no=reg)
    add_record(pair.inc, "customs", "credit", "K1", name="深圳市博远物流有限公司", uscc=B)
    # A name-only company (its id comes from its first record) and one nothing below reaches.
    add_record(pair.inc, "courts", "judgments", "N1", name="深圳市星河地产有限公司")
    add_record(pair.inc, "environment", "ratings", "N2", name="星河地产有限公司")
    add_record(pair.inc, "market_regulation", "register", "SZ9", name="深圳市万达电子有限公司", is_register=True)
    resolve_pending(pair.inc, pair.settings)
    pair.split()

    # The only record of 博远's name-only entity turns out to be about 华信: the entity is left
    # empty (a redirect); the register now carries the legacy registration number (a merge); a
    # typo of 华信's name links by name; a record with B's code again mints an id beside 博远's.
    _add_both(pair, "courts", "judgments", "C1", name="深圳市华信科技有限公司", uscc=A)
    _add_both(pair, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A, reg_no=reg,
              former_names=["深圳市华信智能有限公司"], is_register=True)
    _add_both(pair, "environment", "ratings", "E1", name="深圳市华信科枝有限公司", legal_rep="王伟")
    _add_both(pair, "customs", "credit", "K1", name="深圳市博远物流有限公司", uscc=None)
    _add_both(pair, "transport", "ratings", "R1", name="深圳市远博物流有限公司", uscc=B)
    # N1 turns out to be another company: a new entity, whose natural id its old entity still holds.
    _add_both(pair, "courts", "judgments", "N1", name="深圳市晨光文具有限公司")
    inc, full = pair.resolve()
    state = _assert_same(pair, inc, full)
    assert inc.merges == 1 and inc.loaded_records < full.loaded_records and inc.passes == 2
    assert state["links"]["housing_construction/permits/H1"][0] == entity_id_for(f"uscc:{A}")
    assert state["links"]["environment/ratings/N2"][0] == entity_id_for("record:courts/judgments/N1")
    assert state["links"]["courts/judgments/N1"][0] == entity_id_for("record:courts/judgments/N1#2")
    assert any(status == "merged" for status, _ in state["entities"].values())

    # Nothing new: a no-op; then a judgment alone (no pending record) is enforced the same way.
    assert resolve_pending(pair.inc, pair.settings).mode == ""
    for db, _ in pair.both():
        with db.session() as s:
            s.add(MatchJudgment(kind="not_same", record_a="market_regulation/register/SZ1",
                                record_b="courts/judgments/C1", author="t"))
    inc, full = pair.resolve()
    state = _assert_same(pair, inc, full)
    assert inc.records == 0 and inc.moved_by_judgment == 1
    assert state["links"]["courts/judgments/C1"][0] != state["links"]["market_regulation/register/SZ1"][0]


def test_match_index_holds_each_record_keys_and_is_rebuilt_when_stale(sqlite_db: Database, settings: Settings) -> None:
    rid = add_record(sqlite_db, "tax", "tax_ratings", "T1", name="深圳市华信科技有限公司", uscc=A)
    add_record(sqlite_db, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A,
               is_register=True)
    assert resolve_pending(sqlite_db, settings).mode == "first_load"
    expected = {match_key_hash(k) for k in blocking_keys_of_row(sqlite_db, rid)}
    assert f"uscc:{A}" in blocking_keys_of_row(sqlite_db, rid)
    assert {"n:华信科技|", "s:0:信科技|", "s:3:华信科|"} <= set(blocking_keys_of_row(sqlite_db, rid))
    with sqlite_db.session() as s:
        assert set(s.scalars(select(MatchKey.key).where(MatchKey.canonical_record_id == rid))) == expected

    # A re-resolved record's old keys are replaced by its new ones.
    add_record(sqlite_db, "tax", "tax_ratings", "T1", name="深圳市博远物流有限公司", uscc=B)
    assert resolve_pending(sqlite_db, settings).mode == "incremental"
    with sqlite_db.session() as s:
        stored = set(s.scalars(select(MatchKey.key).where(MatchKey.canonical_record_id == rid)))
    assert match_key_hash(f"uscc:{B}") in stored and match_key_hash(f"uscc:{A}") not in stored

    # An index written by another key version (or none, after the migration) is rebuilt by a full reload.
    with sqlite_db.session() as s:
        s.execute(MatchKey.__table__.delete())
        last = s.scalars(select(AuditLog).where(AuditLog.action == "resolve").order_by(AuditLog.id.desc())).first()
        assert last is not None
        last.after = {**last.after, "match_index": 0}
    add_record(sqlite_db, "courts", "judgments", "C1", name="博远物流有限公司")
    report = resolve_pending(sqlite_db, settings)
    assert report.mode == "full" and report.loaded_records == 2
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count(func.distinct(MatchKey.canonical_record_id)))) == 3
    assert resolve_pending(sqlite_db, settings).mode == ""


def blocking_keys_of_row(db: Database, rid: int) -> list[str]:
    from credithub.pipeline.resolve import _match_record

    with db.session() as s:
        row = s.get(CanonicalRecordRow, rid)
        assert row is not None
        return blocking_keys(_match_record(row.department, row.dataset, row.source_record_id, row.data))


def test_probe_keys_find_exactly_the_names_one_edit_away() -> None:
    """The index answers a name with every name the matcher can score (the same key, or one
    deletion, insertion or substitution away) and with nothing two edits away."""
    names = ["深圳市华信科技有限公司", "华信科技有限公司", "深圳市化信科技有限公司", "深圳市华科技有限公司",
             "深圳市华信达科技有限公司", "深圳市信华科技有限公司", "深圳市华信电子有限公司", "深圳市华信科技有限公司南山分公司",
             "深圳市华信科技有限公司福田分公司", "深圳市新华信科技有限公司", "深圳市华讯科技有限公司", "深圳市信科技有限公司",
             "深圳市博远物流有限公司", "深圳市博远物联有限公司", "深圳市远博物流有限公司"]
    for a in names:
        key_a = name_key(parse_name(a))
        probes = set(probe_keys(MatchRecord(key="a", name=a)))
        for b in names:
            key_b = name_key(parse_name(b))
            found = bool(probes & set(blocking_keys(MatchRecord(key="b", name=b))))
            assert found == (Levenshtein.distance(key_a, key_b) <= 1), (a, b, key_a, key_b)
    # Identifiers: the same code, read from any column, is the same key.
    org = A[8:16] + "-" + A[16]
    assert f"org:{A[8:17]}" in set(probe_keys(MatchRecord(key="x", tax_no="440305" + A[8:17]))) & set(
        blocking_keys(MatchRecord(key="y", uscc=A))) & set(blocking_keys(MatchRecord(key="z", org_code=org)))
