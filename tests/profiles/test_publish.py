from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from credithub.disclosure import local_today
from credithub.pipeline.profiles import build_profiles
from credithub.pipeline.publish import PUBLISH_ACTION, publish_profiles
from credithub.search.base import SearchQuery
from credithub.search.embedded import EmbeddedBackend
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import AuditLog, ProfileRow
from credithub.domain import CanonicalRecord, CreditEvent
from tests.profiles.seed import add_batch, add_record, merge, seed_huawei


def _backend(settings: Settings) -> EmbeddedBackend:
    return EmbeddedBackend(settings.index_dir, reload_interval_s=0)


def test_publish_full_then_incremental_then_delete(sqlite_db: Database, settings: Settings) -> None:
    seed_huawei(sqlite_db, local_today(settings))
    b = add_batch(sqlite_db, "tax", "tax_ratings")
    add_record(sqlite_db, b, CanonicalRecord(department="tax", dataset="tax_ratings", source_record_id="Z", name="华为技术股份公司"), "E2")
    build_profiles(sqlite_db, settings)
    backend = _backend(settings)

    first = publish_profiles(sqlite_db, settings, backend)
    assert first.full and first.reason == "first" and first.upserted == 2
    assert backend.count() == 2 and first.version == backend.live_version()
    doc = backend.get("E1")
    assert doc is not None and doc["tax_rating"] == "A"
    assert "11010519491231002X" not in str(doc) and "13812345678" not in str(doc)  # public view was applied

    again = publish_profiles(sqlite_db, settings, backend)
    assert not again.full and again.reason == "changed" and again.upserted == 0 and again.deleted == 0

    merge(sqlite_db, "E2", "E1")
    build_profiles(sqlite_db, settings)
    third = publish_profiles(sqlite_db, settings, backend)
    assert third.deleted == 1 and backend.count() == 1
    assert backend.search(SearchQuery(q="华为技术有限公司")).hits[0].entity_id == "E1"
    with sqlite_db.session() as s:
        row = s.get(ProfileRow, "E1")
        assert row is not None and row.published_hash == row.content_hash
        assert len(s.scalars(select(AuditLog).where(AuditLog.action == PUBLISH_ACTION)).all()) == 3


def test_changed_profile_is_upserted(sqlite_db: Database, settings: Settings) -> None:
    seed_huawei(sqlite_db, local_today(settings))
    build_profiles(sqlite_db, settings)
    backend = _backend(settings)
    publish_profiles(sqlite_db, settings, backend)
    b = add_batch(sqlite_db, "market_regulation", "abnormal")
    add_record(
        sqlite_db,
        b,
        CanonicalRecord(
            department="market_regulation",
            dataset="abnormal",
            source_record_id="AB-1",
            uscc="914403001922038216",
            events=[{"event_type": "abnormal_operations", "date": local_today(settings) - dt.timedelta(days=3), "title": "列入经营异常名录"}],  # type: ignore[list-item]
        ),
        "E1",
    )
    build_profiles(sqlite_db, settings)
    report = publish_profiles(sqlite_db, settings, backend)
    assert not report.full and report.upserted == 1
    assert backend.get("E1")["flags"] == ["abnormal_operations"]  # type: ignore[index]


def test_a_new_day_republishes_only_the_profiles_whose_public_view_changes(
    sqlite_db: Database, settings: Settings
) -> None:
    today = local_today(settings)
    seed_huawei(sqlite_db, today)
    b = add_batch(sqlite_db, "market_regulation", "abnormal")
    add_record(sqlite_db, b, CanonicalRecord(
        department="market_regulation", dataset="abnormal", source_record_id="AB1", name="深圳市鹏程物流有限公司",
        events=[CreditEvent(event_type="abnormal_operations", date=today - dt.timedelta(days=100),
                            end_date=today + dt.timedelta(days=2), title="列入经营异常名录", severity="general")],
    ), "E3")
    build_profiles(sqlite_db, settings)
    backend = _backend(settings)
    first = publish_profiles(sqlite_db, settings, backend, today=today)
    assert first.full and first.upserted == 2
    assert "abnormal_operations" in backend.get("E3")["flags"]

    tomorrow = publish_profiles(sqlite_db, settings, backend, today=today + dt.timedelta(days=1))
    assert not tomorrow.full and tomorrow.reason == "new_date" and tomorrow.upserted == 0

    # The day the listing ends: only E3's view changes, only E3 is re-published.
    ends = publish_profiles(sqlite_db, settings, backend, today=today + dt.timedelta(days=2))
    assert not ends.full and ends.reason == "new_date" and ends.upserted == 1 and ends.due == 1
    assert "abnormal_operations" not in backend.get("E3")["flags"]
    with sqlite_db.session() as s:
        e3, e1 = s.get(ProfileRow, "E3"), s.get(ProfileRow, "E1")
        assert e3 is not None and e1 is not None
        assert e3.public_next_change is not None and e3.public_next_change > today + dt.timedelta(days=2)
        assert e1.public_next_change is not None and e1.public_next_change > today + dt.timedelta(days=2)


def test_index_from_an_older_release_is_rebuilt_in_full(sqlite_db: Database, settings: Settings) -> None:
    import tantivy

    from credithub.search.embedded import LIVE_FILE

    seed_huawei(sqlite_db, local_today(settings))
    build_profiles(sqlite_db, settings)
    backend = _backend(settings)
    publish_profiles(sqlite_db, settings, backend)
    # What an older release left behind: a live index in another schema.
    old = tantivy.SchemaBuilder()
    old.add_text_field("entity_id", stored=True, tokenizer_name="raw")
    stale = settings.index_dir / "v-20200101T000000000000Z"
    stale.mkdir()
    tantivy.Index(old.build(), path=str(stale))
    (settings.index_dir / LIVE_FILE).write_text(stale.name)
    report = publish_profiles(sqlite_db, settings, _backend(settings))
    assert report.full and report.reason == "index_outdated" and report.upserted == 1
    assert _backend(settings).search(SearchQuery(q="华为技术")).hits[0].entity_id == "E1"
