"""The resolve stage on SQLite and PostgreSQL: links, stable ids, incremental joins, merges with
redirects, judgments overriding the matcher, steward flags, idempotence."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from credithub.domain import CanonicalRecord
from credithub.hashing import content_hash
from credithub.pipeline.resolve import record_key, resolve_pending
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    EntityLink,
    MatchJudgment,
    RawRecord,
    ResolutionFlag,
    StagedRecord,
    SyncBatch,
)
from entity_resolution.identifiers import org_code_check_char, uscc_check_char
from entity_resolution.matcher import entity_id_for


def _uscc(body: str) -> str:
    head = "91440300" + body + org_code_check_char(body)
    return head + uscc_check_char(head)


A, B = _uscc("MA5ABC12"), _uscc("MA5XYW34")


def add_record(db: Database, department: str, dataset: str, rid: str, **fields: object) -> int:
    """Land a record the way sync + validate + promote would: batch, raw, staged, canonical."""
    rec = CanonicalRecord(department=department, dataset=dataset, source_record_id=rid, **fields)  # type: ignore[arg-type]
    data = rec.model_dump(mode="json")
    with db.session() as s:
        batch = SyncBatch(department=department, stream=dataset, status="validated")
        s.add(batch)
        s.flush()
        raw = RawRecord(batch_id=batch.id, department=department, stream=dataset, source_record_id=rid,
                        content_hash=content_hash(data), location="test", data=data)
        s.add(raw)
        s.flush()
        staged = StagedRecord(raw_record_id=raw.id, batch_id=batch.id, department=department, stream=dataset,
                              source_record_id=rid, staged=data, status="passed")
        s.add(staged)
        s.flush()
        existing = s.scalar(select(CanonicalRecordRow).where(
            CanonicalRecordRow.department == department, CanonicalRecordRow.dataset == dataset,
            CanonicalRecordRow.source_record_id == rid))
        if existing is not None:  # a newer version of the source record: re-resolved
            existing.data, existing.content_hash, existing.resolved = data, content_hash(data), False
            existing.staged_record_id = staged.id
            s.flush()
            return existing.id
        row = CanonicalRecordRow(staged_record_id=staged.id, batch_id=batch.id, department=department,
                                 dataset=dataset, source_record_id=rid, data=data, content_hash=content_hash(data),
                                 resolved=False)
        s.add(row)
        s.flush()
        return row.id


def entity_of(db: Database, department: str, dataset: str, rid: str) -> str:
    with db.session() as s:
        return s.scalar(
            select(EntityLink.entity_id).join(CanonicalRecordRow, CanonicalRecordRow.id == EntityLink.canonical_record_id)
            .where(CanonicalRecordRow.department == department, CanonicalRecordRow.dataset == dataset,
                   CanonicalRecordRow.source_record_id == rid)
        )


def clean_dirty(db: Database) -> None:
    with db.session() as s:
        for e in s.scalars(select(Entity)):
            e.dirty = False


def test_resolve_links_records_and_is_idempotent(any_db: Database, settings: Settings) -> None:
    add_record(any_db, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A,
               is_register=True, established=dt.date(2010, 5, 1), legal_rep="王伟")
    add_record(any_db, "tax", "tax_ratings", "T1", name="華信科技有限公司", tax_no="440305" + A[8:17])
    add_record(any_db, "courts", "judgments", "C1", name="华信科技（深圳）有限公司")
    add_record(any_db, "tax", "tax_ratings", "T2", name="深圳市博远物流有限公司", uscc=B)

    report = resolve_pending(any_db, settings)
    assert report.records == 4 and report.new_entities == 2
    huaxin = entity_of(any_db, "market_regulation", "register", "SZ1")
    assert huaxin == entity_id_for(f"uscc:{A}")
    assert entity_of(any_db, "tax", "tax_ratings", "T1") == huaxin
    assert entity_of(any_db, "courts", "judgments", "C1") == huaxin
    assert entity_of(any_db, "tax", "tax_ratings", "T2") == entity_id_for(f"uscc:{B}")
    with any_db.session() as s:
        assert s.scalar(select(func.count()).select_from(CanonicalRecordRow).where(
            CanonicalRecordRow.resolved.is_(False))) == 0
        assert all(e.dirty for e in s.scalars(select(Entity)))

    clean_dirty(any_db)
    again = resolve_pending(any_db, settings)
    assert again.records == 0 and again.new_entities == 0 and again.merges == 0 and again.entities_touched == 0
    with any_db.session() as s:
        assert not any(e.dirty for e in s.scalars(select(Entity)))
        assert s.scalar(select(func.count()).select_from(EntityLink)) == 4


def test_new_records_join_existing_entities_incrementally(any_db: Database, settings: Settings) -> None:
    add_record(any_db, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A, is_register=True)
    add_record(any_db, "tax", "tax_ratings", "T2", name="深圳市博远物流有限公司", uscc=B)
    resolve_pending(any_db, settings)
    clean_dirty(any_db)

    add_record(any_db, "quality_supervision", "spot_checks", "Q1", name="深圳市华信科技有限公司",
               org_code=A[8:16] + "-" + A[16])
    report = resolve_pending(any_db, settings)
    assert report.records == 1 and report.linked_identifier == 1 and report.new_entities == 0
    huaxin = entity_id_for(f"uscc:{A}")
    assert entity_of(any_db, "quality_supervision", "spot_checks", "Q1") == huaxin
    with any_db.session() as s:
        dirty = {e.id for e in s.scalars(select(Entity).where(Entity.dirty.is_(True)))}
    assert dirty == {huaxin}


def test_merge_keeps_a_redirect(any_db: Database, settings: Settings) -> None:
    reg = "44030510123456"
    from stdnum.iso7064 import mod_11_10

    reg += mod_11_10.calc_check_digit(reg)
    # Two departments, two identifiers, two names: two entities until the register links them.
    add_record(any_db, "housing_construction", "permits", "H1", name="深圳市华信科技有限公司", reg_no=reg)
    add_record(any_db, "tax", "tax_ratings", "T1", name="深圳市华信智能有限公司", uscc=A)
    resolve_pending(any_db, settings)
    old = entity_of(any_db, "housing_construction", "permits", "H1")
    assert old != entity_of(any_db, "tax", "tax_ratings", "T1")

    add_record(any_db, "market_regulation", "register", "SZ1", name="深圳市华信智能有限公司", uscc=A, reg_no=reg,
               former_names=["深圳市华信科技有限公司"], is_register=True)
    report = resolve_pending(any_db, settings)
    assert report.merges == 1
    survivor = entity_id_for(f"uscc:{A}")
    assert entity_of(any_db, "housing_construction", "permits", "H1") == survivor
    with any_db.session() as s:
        loser = s.get(Entity, old)
        assert loser is not None and loser.status == "merged" and loser.merged_into == survivor
        assert s.get(Entity, survivor).dirty  # type: ignore[union-attr]


def test_judgments_override_and_conflicts_are_flagged(any_db: Database, settings: Settings) -> None:
    add_record(any_db, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A, is_register=True)
    add_record(any_db, "market_regulation", "register", "SZ2", name="深圳市博远物流有限公司", uscc=B, is_register=True)
    add_record(any_db, "tax", "tax_ratings", "T1", name="深圳市华信科技有限公司", uscc=A)
    add_record(any_db, "courts", "judgments", "C1", name="深圳市博远物流有限公司", uscc=A)  # A's code, B's name
    add_record(any_db, "tax", "tax_ratings", "T9", name="深圳市华信科技有限公司", uscc=A[:-1] + "0" if A[-1] != "0" else A[:-1] + "1")
    resolve_pending(any_db, settings)
    huaxin, boyuan = entity_id_for(f"uscc:{A}"), entity_id_for(f"uscc:{B}")
    assert entity_of(any_db, "courts", "judgments", "C1") == boyuan
    with any_db.session() as s:
        kinds = {(f.kind, f.department) for f in s.scalars(select(ResolutionFlag))}
    assert ("identifier_name_conflict", "courts") in kinds and ("invalid_identifier", "tax") in kinds

    with any_db.session() as s:
        s.add(MatchJudgment(kind="not_same", record_a=record_key("market_regulation", "register", "SZ1"),
                            record_b=record_key("tax", "tax_ratings", "T1"), author="steward-tax"))
        s.add(MatchJudgment(kind="same", record_a=record_key("courts", "judgments", "C1"),
                            record_b=record_key("market_regulation", "register", "SZ1"), author="admin"))
    report = resolve_pending(any_db, settings)
    assert report.moved_by_judgment == 2  # T1 out of 华信 (not_same), C1 into it (same)
    t1 = entity_of(any_db, "tax", "tax_ratings", "T1")
    assert t1 != entity_of(any_db, "market_regulation", "register", "SZ1")
    # "same" moved the court record to 华信; the two companies (two USCCs) stay apart.
    assert entity_of(any_db, "courts", "judgments", "C1") == huaxin
    assert entity_of(any_db, "market_regulation", "register", "SZ1") == huaxin
    assert entity_of(any_db, "market_regulation", "register", "SZ2") == boyuan
    # Judgments are stable: another run changes nothing.
    again = resolve_pending(any_db, settings)
    assert again.moved_by_judgment == 0 and again.merges == 0
    assert entity_of(any_db, "tax", "tax_ratings", "T1") == t1


def test_split_judgment_moves_a_record_out(any_db: Database, settings: Settings) -> None:
    add_record(any_db, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A, is_register=True)
    add_record(any_db, "courts", "judgments", "C1", name="华信科技有限公司")
    resolve_pending(any_db, settings)
    assert entity_of(any_db, "courts", "judgments", "C1") == entity_of(any_db, "market_regulation", "register", "SZ1")
    with any_db.session() as s:
        s.add(MatchJudgment(kind="split", record_a=record_key("courts", "judgments", "C1"), author="admin"))
    resolve_pending(any_db, settings)
    assert entity_of(any_db, "courts", "judgments", "C1") != entity_of(any_db, "market_regulation", "register", "SZ1")


def test_changed_record_is_re_resolved(any_db: Database, settings: Settings) -> None:
    add_record(any_db, "market_regulation", "register", "SZ1", name="深圳市华信科技有限公司", uscc=A, is_register=True)
    add_record(any_db, "market_regulation", "register", "SZ2", name="深圳市博远物流有限公司", uscc=B, is_register=True)
    add_record(any_db, "tax", "tax_ratings", "T1", name="深圳市华信科技有限公司", uscc=A)
    resolve_pending(any_db, settings)
    # The department corrects the record: it was about the other company.
    add_record(any_db, "tax", "tax_ratings", "T1", name="深圳市博远物流有限公司", uscc=B)
    resolve_pending(any_db, settings)
    assert entity_of(any_db, "tax", "tax_ratings", "T1") == entity_id_for(f"uscc:{B}")
    with any_db.session() as s:
        assert s.scalar(select(func.count()).select_from(EntityLink)) == 3
