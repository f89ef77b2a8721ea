"""validate_batch on real SQLite and PostgreSQL: row statuses, failure lists, promotion, hold, idempotency."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from credithub.pipeline.validate import validate_batch
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import CanonicalRecordRow, StagedRecord, SyncBatch, ValidationRun
from tests.validation.helpers import make_batch, spot_row


def _staged(db: Database, batch_id: int) -> dict[str, StagedRecord]:
    with db.session() as s:
        rows = s.scalars(select(StagedRecord).where(StagedRecord.batch_id == batch_id)).all()
        return {r.source_record_id: r for r in rows}


def test_good_rows_promoted_bad_rows_quarantined_with_every_failure(any_db: Database, settings: Settings,
                                                                     spot_stream) -> None:
    rows = [spot_row(i) for i in range(6)]
    rows.append(spot_row(6, org_code="19220382-2", check_date="2099-01-01"))          # bad check digit + future
    rows.append(spot_row(7, result="不合格", issue=None, name="华"))                 # conditional + length
    rows.append(spot_row(8, result="优秀"))                                           # vocabulary
    batch_id = make_batch(any_db, rows, faults=1)

    report = validate_batch(any_db, settings, batch_id, stream=spot_stream, build_docs=False)

    assert (report.status, report.evaluated, report.passed, report.quarantined) == ("validated", 9, 6, 3)
    staged = _staged(any_db, batch_id)
    assert {k: v.status for k, v in staged.items() if not k.startswith("fault:")} == {
        **{f"QS-{i:05d}": "passed" for i in range(6)},
        "QS-00006": "quarantined", "QS-00007": "quarantined", "QS-00008": "quarantined"}
    f6 = {(f["expectation"], f["column"]) for f in staged["QS-00006"].failures}
    assert f6 == {("expect_column_values_to_be_valid_org_code", "org_code"),
                  ("expect_column_values_to_be_iso_date_not_in_future", "check_date"),
                  ("expect_column_pair_values_a_to_be_greater_than_b", "updated_at,check_date")}
    org = next(f for f in staged["QS-00006"].failures if f["column"] == "org_code")
    assert org["value"] == "19220382-2"
    assert "组织机构代码" in org["reason_zh"] and "expect_column_values_to_be_valid_org_code" in org["reason_zh"]
    f7 = {f["expectation"] for f in staged["QS-00007"].failures}
    assert f7 == {"expect_column_values_to_not_be_null", "expect_column_value_lengths_to_be_between"}
    assert staged["QS-00008"].failures[0]["value"] == "优秀"
    assert all(r.failures is None for k, r in staged.items() if r.status == "passed")

    with any_db.session() as s:
        canon = s.scalars(select(CanonicalRecordRow).order_by(CanonicalRecordRow.source_record_id)).all()
        assert [c.source_record_id for c in canon] == [f"QS-{i:05d}" for i in range(6)]
        assert canon[0].data["org_code"] == "19220382-1"
        batch = s.get(SyncBatch, batch_id)
        assert (batch.status, batch.rows_passed, batch.rows_quarantined) == ("validated", 6, 4)
        run = s.scalars(select(ValidationRun).where(ValidationRun.batch_id == batch_id)).one()
        assert (run.evaluated, run.failed, run.success) == (9, 3, False)
        stats = {(e["expectation"], e["column"]): e["unexpected_count"] for e in run.statistics["expectations"]}
        assert stats[("expect_column_values_to_be_valid_org_code", "org_code")] == 1


def test_rerun_changes_nothing(sqlite_db: Database, settings: Settings, spot_stream) -> None:
    batch_id = make_batch(sqlite_db, [spot_row(1), spot_row(2, org_code="bad")])
    validate_batch(sqlite_db, settings, batch_id, stream=spot_stream, build_docs=False)
    before = {k: (v.status, v.version, v.updated_at) for k, v in _staged(sqlite_db, batch_id).items()}
    again = validate_batch(sqlite_db, settings, batch_id, stream=spot_stream, build_docs=False)
    assert again.unchanged and again.passed == 1 and again.quarantined == 1
    assert {k: (v.status, v.version, v.updated_at) for k, v in _staged(sqlite_db, batch_id).items()} == before
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count()).select_from(ValidationRun)) == 1
        assert s.scalar(select(func.count()).select_from(CanonicalRecordRow)) == 1


def test_duplicate_record_ids_in_a_batch_are_all_quarantined(sqlite_db: Database, settings: Settings,
                                                               spot_stream) -> None:
    rows = [spot_row(1), {**spot_row(2), "record_id": "QS-00001"}, spot_row(3)]
    batch_id = make_batch(sqlite_db, rows[:1] + rows[2:])
    # Two staged rows with the same record id (a source repeating a key inside one delivery).
    with sqlite_db.session() as s:
        first = s.scalars(select(StagedRecord).where(StagedRecord.source_record_id == "QS-00003")).one()
        first.staged = {**first.staged, "record_id": "QS-00001"}
    report = validate_batch(sqlite_db, settings, batch_id, stream=spot_stream, build_docs=False)
    assert report.quarantined == 2 and report.passed == 0
    for r in _staged(sqlite_db, batch_id).values():
        assert [f["expectation"] for f in r.failures] == ["expect_column_values_to_be_unique"]


def test_batch_that_shrinks_90_percent_is_held_until_released(any_db: Database, settings: Settings,
                                                               spot_stream) -> None:
    first = make_batch(any_db, [spot_row(i) for i in range(100)])
    assert validate_batch(any_db, settings, first, stream=spot_stream, build_docs=False).status == "validated"
    second = make_batch(any_db, [spot_row(1000 + i) for i in range(8)])
    report = validate_batch(any_db, settings, second, stream=spot_stream, build_docs=False)
    assert report.held and report.status == "held"
    assert "减少 92%" in report.hold_reason and "fewer than the previous full read" in report.hold_reason
    assert {r.status for r in _staged(any_db, second).values()} == {"pending"}
    with any_db.session() as s:
        assert s.scalar(select(func.count()).select_from(CanonicalRecordRow)
                        .where(CanonicalRecordRow.batch_id == second)) == 0
    # Running again (e.g. the next scheduled run) does not sneak the rows through.
    assert validate_batch(any_db, settings, second, stream=spot_stream, build_docs=False).unchanged
    released = validate_batch(any_db, settings, second, stream=spot_stream, build_docs=False,
                              apply_hold_policy=False)
    assert (released.status, released.passed) == ("validated", 8)


def test_incremental_batch_is_not_compared_with_a_full_load(sqlite_db: Database, settings: Settings,
                                                             spot_stream) -> None:
    validate_batch(sqlite_db, settings, make_batch(sqlite_db, [spot_row(i) for i in range(100)]),
                   stream=spot_stream, build_docs=False)
    small = make_batch(sqlite_db, [spot_row(500 + i) for i in range(3)], full_read=False)
    assert not validate_batch(sqlite_db, settings, small, stream=spot_stream, build_docs=False).held


def test_failure_rate_far_above_history_holds(sqlite_db: Database, settings: Settings, spot_stream) -> None:
    validate_batch(sqlite_db, settings, make_batch(sqlite_db, [spot_row(i) for i in range(40)]),
                   stream=spot_stream, build_docs=False)
    rows = [spot_row(100 + i, org_code="00000000-1" if i < 15 else "19220382-1") for i in range(40)]
    report = validate_batch(sqlite_db, settings, make_batch(sqlite_db, rows), stream=spot_stream, build_docs=False)
    assert report.held
    assert "失败率 37.5%" in report.hold_reason and "远高于" in report.hold_reason


def test_absolute_failure_rate_limit_holds_without_history(sqlite_db: Database, settings: Settings,
                                                           spot_stream) -> None:
    rows = [spot_row(i, result="??") for i in range(30)]
    report = validate_batch(sqlite_db, settings, make_batch(sqlite_db, rows), stream=spot_stream, build_docs=False)
    assert report.held and "超过上限" in report.hold_reason
    with sqlite_db.session() as s:
        run = s.scalars(select(ValidationRun)).one()
        assert run.statistics["held"] and len(run.statistics["failure_sample"]) == 20


def test_batch_with_nothing_pending_is_closed_without_a_run(sqlite_db: Database, settings: Settings,
                                                             spot_stream) -> None:
    batch_id = make_batch(sqlite_db, [], faults=2)
    report = validate_batch(sqlite_db, settings, batch_id, stream=spot_stream)
    assert report.status == "validated" and report.evaluated == 0
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count()).select_from(ValidationRun)) == 0
        assert s.get(SyncBatch, batch_id).status == "validated"
    assert validate_batch(sqlite_db, settings, batch_id, stream=spot_stream).unchanged


def test_small_chunks_give_the_whole_batch_outcome_and_keep_duplicate_ids_together(
    any_db: Database, settings: Settings, spot_stream
) -> None:
    """Chunks are cut between record ids, so "record id unique within the batch" is judged exactly
    whatever the chunk size, on both databases (keyset pagination over (record id, id))."""
    rows = [spot_row(i) for i in range(9)]
    rows += [{**spot_row(4), "name": "另一个名称有限公司"}, {**spot_row(7), "name": "第三个名称有限公司"}]
    rows.append(spot_row(8, org_code="19220382-2"))  # fails its check digit (and duplicates QS-00008)
    batch_id = make_batch(any_db, rows)
    outcomes = []
    for chunk_rows in (1, 2, 3, 1000):
        report = validate_batch(any_db, settings, batch_id, stream=spot_stream, build_docs=False,
                                chunk_rows=chunk_rows)
        outcomes.append((report.passed, report.quarantined, _staged_all(any_db, batch_id)))
        with any_db.session() as s:  # back to landed, as if never validated
            s.execute(update(StagedRecord).where(StagedRecord.batch_id == batch_id)
                      .values(status="pending", failures=None))
            s.execute(delete(CanonicalRecordRow))
            s.execute(delete(ValidationRun))
            s.execute(update(SyncBatch).where(SyncBatch.id == batch_id).values(status="landed"))
    assert all(o == outcomes[-1] for o in outcomes), outcomes
    passed, quarantined, staged = outcomes[-1]
    duplicated = {"QS-00004", "QS-00007", "QS-00008"}
    assert (passed, quarantined) == (6, 6)
    assert all(status == "quarantined" for rid, status in staged if rid in duplicated)
    assert all(status == "passed" for rid, status in staged if rid not in duplicated)


def _staged_all(db: Database, batch_id: int) -> list[tuple[str, str]]:
    with db.session() as s:
        return sorted((r.source_record_id, r.status) for r in
                      s.scalars(select(StagedRecord).where(StagedRecord.batch_id == batch_id)))
