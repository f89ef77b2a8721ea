"""Storage on SQLite and PostgreSQL: migrations, uniqueness of raw content, optimistic locking."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from credithub.storage.db import Database
from credithub.storage.tables import Base, RawRecord, StagedRecord, SyncBatch


def test_migrations_create_every_table_and_are_idempotent(any_db: Database) -> None:
    any_db.migrate()  # second time: nothing to do
    tables = set(inspect(any_db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_same_raw_content_cannot_land_twice(any_db: Database) -> None:
    with any_db.session() as s:
        batch = SyncBatch(department="tax", stream="tax_ratings")
        s.add(batch)
        s.flush()
        batch_id = batch.id
    row = dict(batch_id=batch_id, department="tax", stream="tax_ratings", source_record_id="1",
               content_hash="h", location="page 1 item 1", data={"纳税人名称": "华为技术有限公司"})
    with any_db.session() as s:
        s.add(RawRecord(**row))
    with pytest.raises(IntegrityError):
        with any_db.session() as s:
            s.add(RawRecord(**row))
    with any_db.session() as s:
        stored = s.query(RawRecord).one()
        assert stored.data == {"纳税人名称": "华为技术有限公司"}  # JSON round-trips Chinese text


def test_concurrent_edits_of_a_staged_record_conflict(any_db: Database) -> None:
    with any_db.session() as s:
        batch = SyncBatch(department="tax", stream="tax_ratings")
        s.add(batch)
        s.flush()
        raw = RawRecord(batch_id=batch.id, department="tax", stream="tax_ratings", source_record_id="1",
                        content_hash="h", location="x", data={})
        s.add(raw)
        s.flush()
        staged = StagedRecord(raw_record_id=raw.id, batch_id=batch.id, department="tax", stream="tax_ratings",
                              source_record_id="1", staged={"rating": "Z"}, status="quarantined")
        s.add(staged)
        s.flush()
        staged_id = staged.id
    s1, s2 = any_db.sessions(), any_db.sessions()
    a, b = s1.get(StagedRecord, staged_id), s2.get(StagedRecord, staged_id)
    assert a is not None and b is not None
    a.staged = {"rating": "A"}
    s1.commit()
    b.staged = {"rating": "B"}
    with pytest.raises(StaleDataError):
        s2.commit()
    s1.close()
    s2.close()
    with any_db.session() as s:
        final = s.get(StagedRecord, staged_id)
        assert final is not None and final.staged == {"rating": "A"} and final.version == 2
