from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from credithub.disclosure import local_today
from credithub.domain import CanonicalRecord, Profile
from credithub.pipeline.profiles import build_profiles
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import Entity, ProfileRow
from tests.profiles.seed import HUAWEI_ORG, HUAWEI_USCC, add_batch, add_record, merge, register, seed_huawei


def _profile(db: Database, entity_id: str) -> Profile:
    with db.session() as s:
        row = s.get(ProfileRow, entity_id)
        assert row is not None
        return Profile.model_validate(row.data)


def test_profile_identity_summary_timeline_and_conflicts(sqlite_db: Database, settings: Settings) -> None:
    today = local_today(settings)
    batches = seed_huawei(sqlite_db, today)
    report = build_profiles(sqlite_db, settings)
    assert report.built == 1 and report.entities == 1
    p = _profile(sqlite_db, "E1")
    ident = p.identity
    assert ident.name == "华为技术有限公司"
    assert ident.former_names == ["深圳市华为技术有限公司"]
    assert ident.other_names == ["華為技術有限公司"]
    assert ident.uscc == HUAWEI_USCC and ident.org_code == HUAWEI_ORG
    assert ident.reg_nos == ["440301103097413"]
    assert ident.address == "深圳市龙岗区坂田华为总部办公楼"  # the register wins for display
    assert ident.district == "龙岗区" and ident.legal_rep == "赵明路"
    # ... but the disagreement is shown, with both departments
    conflict = {c.field: c for c in p.conflicts}["address"]
    assert {v["department"] for v in conflict.values} == {"market_regulation", "quality_supervision"}
    assert "uscc" not in {c.field for c in p.conflicts}  # org code 19220382-1 agrees with the USCC
    assert p.summary.tax_rating == "A" and p.summary.penalties_3y == 1
    assert [e.event_type for e in p.events] == ["penalty", "spot_check", "tax_rating"]  # newest first
    pen = p.events[0]
    assert pen.provenance.department == "market_regulation"
    assert pen.provenance.batch_id == batches["penalties"] and pen.provenance.source_record_id == "P-1"
    assert pen.provenance.raw_record_id is not None
    assert p.departments == ["market_regulation", "quality_supervision", "tax"]
    with sqlite_db.session() as s:
        assert s.get(Entity, "E1").dirty is False  # type: ignore[union-attr]


def test_rebuild_is_idempotent_and_deterministic(sqlite_db: Database, settings: Settings) -> None:
    seed_huawei(sqlite_db, local_today(settings))
    build_profiles(sqlite_db, settings)
    with sqlite_db.session() as s:
        first = s.get(ProfileRow, "E1")
        assert first is not None
        data, version = first.data, first.version
    again = build_profiles(sqlite_db, settings, entity_ids=["E1"])
    assert again.built == 0 and again.unchanged == 1
    with sqlite_db.session() as s:
        row = s.get(ProfileRow, "E1")
        assert row is not None and row.version == version and row.data == data
    assert build_profiles(sqlite_db, settings).entities == 0  # nothing dirty any more


def test_changed_record_rewrites_profile(sqlite_db: Database, settings: Settings) -> None:
    seed_huawei(sqlite_db, local_today(settings))
    build_profiles(sqlite_db, settings)
    b = add_batch(sqlite_db, "tax", "tax_ratings")
    add_record(
        sqlite_db, b, CanonicalRecord(department="tax", dataset="tax_ratings", source_record_id="T-9", tax_no=HUAWEI_USCC), "E1"
    )
    report = build_profiles(sqlite_db, settings)
    assert report.built == 1
    with sqlite_db.session() as s:
        assert s.get(ProfileRow, "E1").version == 2  # type: ignore[union-attr]


def test_department_disagreeing_on_uscc_is_a_conflict(sqlite_db: Database, settings: Settings) -> None:
    b = add_batch(sqlite_db, "market_regulation", "register")
    add_record(sqlite_db, b, register("R-1", "甲公司", HUAWEI_USCC), "E1")
    b2 = add_batch(sqlite_db, "tax", "tax_ratings")
    other = "91440300MA5DC2WK6J"  # another valid USCC
    add_record(sqlite_db, b2, CanonicalRecord(department="tax", dataset="tax_ratings", source_record_id="T", name="甲公司", uscc=other), "E1")
    build_profiles(sqlite_db, settings)
    p = _profile(sqlite_db, "E1")
    assert p.identity.uscc == HUAWEI_USCC
    values = {v["value"] for c in p.conflicts if c.field == "uscc" for v in c.values}
    assert values == {HUAWEI_USCC, other}


def test_invalid_identifier_is_not_identity(sqlite_db: Database, settings: Settings) -> None:
    b = add_batch(sqlite_db, "tax", "tax_ratings")
    add_record(
        sqlite_db, b, CanonicalRecord(department="tax", dataset="tax_ratings", source_record_id="T", name="乙公司", uscc="914403001922038217"), "E2"
    )
    build_profiles(sqlite_db, settings)
    p = _profile(sqlite_db, "E2")
    assert p.identity.uscc is None and p.identity.name == "乙公司"


def test_merged_entity_profile_removed(sqlite_db: Database, settings: Settings) -> None:
    seed_huawei(sqlite_db, local_today(settings))
    b = add_batch(sqlite_db, "tax", "tax_ratings")
    add_record(sqlite_db, b, CanonicalRecord(department="tax", dataset="tax_ratings", source_record_id="X", name="华为技术有限公司"), "E9")
    build_profiles(sqlite_db, settings)
    merge(sqlite_db, "E9", "E1")
    report = build_profiles(sqlite_db, settings)
    assert report.removed == 1
    with sqlite_db.session() as s:
        assert s.get(ProfileRow, "E9") is None
        assert s.scalars(select(ProfileRow.entity_id)).all() == ["E1"]


def test_profiles_on_both_engines(any_db: Database, settings: Settings) -> None:
    seed_huawei(any_db, dt.date.today())
    assert build_profiles(any_db, settings).built == 1
    assert build_profiles(any_db, settings, entity_ids=["E1"]).unchanged == 1
