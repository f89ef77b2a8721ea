"""Steward API: department scoping, fixes with re-validation, optimistic locking, revocation, audit log."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select

from credithub.stewardship.tokens import revoke_steward
from credithub.storage.tables import AuditLog, CanonicalRecordRow, StagedRecord, Steward
from tests.stewardship.conftest import World


def test_queue_shows_only_the_stewards_department(any_world: World) -> None:
    w = any_world
    r = w.client.get("/api/v1/steward/queue", headers=w.auth("tax"))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2 and {i["department"] for i in body["items"]} == {"tax"}
    assert sorted(i["id"] for i in body["items"]) == w.tax_bad
    admin = w.client.get("/api/v1/steward/queue", headers=w.auth("admin")).json()
    assert admin["total"] == 5


def test_foreign_department_gets_403_or_404_and_never_data(any_world: World) -> None:
    w = any_world
    qs_id = w.qs_bad[0]
    before = w.staged(qs_id)
    r = w.client.get(f"/api/v1/steward/records/{qs_id}", headers=w.auth("tax"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert before.source_record_id not in r.text and "19220382" not in r.text
    r = w.client.get("/api/v1/steward/queue", params={"department": "quality_supervision"}, headers=w.auth("tax"))
    assert r.status_code == 403 and "QS-" not in r.text
    r = w.client.post(f"/api/v1/steward/records/{qs_id}/fix", headers=w.auth("tax"),
                      json={"version": before.version, "changes": {"org_code": "19220382-1"}})
    assert r.status_code == 404
    r = w.client.post(f"/api/v1/steward/records/{qs_id}/reject", headers=w.auth("tax"),
                      json={"version": before.version, "reason": "x"})
    assert r.status_code == 404
    bulk = w.client.post("/api/v1/steward/bulk/reject", headers=w.auth("tax"),
                         json={"ids": [qs_id], "reason": "x"}).json()
    assert bulk["done"] == [] and bulk["refused"][0]["status"] == "not_found"
    after = w.staged(qs_id)
    assert (after.status, after.version, after.staged) == (before.status, before.version, before.staged)
    # Pages too: the tax steward's cookie cannot open the quality-supervision record.
    w.sign_in("tax")
    page = w.client.get(f"/steward/records/{qs_id}")
    assert page.status_code == 404 and before.source_record_id not in page.text


def test_fix_revalidates_releases_and_promotes(any_world: World) -> None:
    w = any_world
    # One steward's identity fix waits for a second (test_two_person_approval.py); here: the fix itself.
    w.settings.steward_two_person_approval = False
    rec = w.client.get(f"/api/v1/steward/records/{w.qs_bad[0]}", headers=w.auth("qs")).json()
    assert rec["failures"][0]["expectation"] == "expect_column_values_to_be_valid_org_code"
    assert rec["raw"]["src_org_code"] == "19220382-2" and rec["raw_location"].startswith("test row")
    r = w.client.post(f"/api/v1/steward/records/{rec['id']}/fix", headers=w.auth("qs"),
                      json={"version": rec["version"], "changes": {"org_code": "１９２２０３８２－１"}, "note": "查证"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "released" and out["version"] == rec["version"] + 1
    with w.db.session() as s:
        canon = s.get(CanonicalRecordRow, out["canonical_record_id"])
        assert canon.source_record_id == rec["source_record_id"] and canon.data["org_code"] == "１９２２０３８２－１"
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "fix")).one()
        assert entry.actor == "qs-steward#2" or entry.actor.startswith("qs-steward#")
        assert entry.before["staged"]["org_code"] == "19220382-2" and entry.before["status"] == "quarantined"
        assert entry.after["staged"]["org_code"] == "１９２２０３８２－１" and entry.after["status"] == "released"
        assert entry.department == "quality_supervision" and entry.target == f"staged:{rec['id']}"


def test_malformed_edits_are_refused_with_reasons_and_change_nothing(any_world: World) -> None:
    w = any_world
    sid = w.qs_bad[0]
    before = w.staged(sid)
    cases = [
        ({"org_code": "19220382-3"}, "expect_column_values_to_be_valid_org_code"),      # invalid identifier
        ({"org_code": {"nested": 1}}, "值类型错误"),                                    # wrong type
        ({"org_code": True}, "值类型错误"),
        ({"no_such_field": "x"}, "不属于该数据集"),
        ({"record_id": "QS-99999"}, "不能修改"),
        ({"check_date": "2026-02-30"}, "expect_column_values_to_be_iso_date_not_in_future"),
        ({}, "no changes"),
    ]
    for changes, reason in cases:
        r = w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs"),
                          json={"version": before.version, "changes": changes})
        assert r.status_code == 422, (changes, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert reason in r.text, (changes, r.text)
    r = w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs"),
                      json={"version": "not-a-number", "changes": {"org_code": "19220382-1"}})
    assert r.status_code == 422
    after = w.staged(sid)
    assert (after.status, after.version, after.staged, after.failures) == (
        before.status, before.version, before.staged, before.failures)
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(CanonicalRecordRow)
                        .where(CanonicalRecordRow.source_record_id == before.source_record_id)) == 0
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "fix")) == 0


def test_concurrent_edits_second_stale_edit_gets_409(any_world: World) -> None:
    w = any_world
    # One steward's identity fix waits for a second (test_two_person_approval.py); here: the fix itself.
    w.settings.steward_two_person_approval = False
    sid = w.qs_bad[1]
    v = w.client.get(f"/api/v1/steward/records/{sid}", headers=w.auth("qs")).json()["version"]
    v2 = w.client.get(f"/api/v1/steward/records/{sid}", headers=w.auth("qs2")).json()["version"]
    assert v == v2
    first = w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs"),
                          json={"version": v, "changes": {"org_code": "19220382-1"}})
    assert first.status_code == 200
    second = w.client.post(f"/api/v1/steward/records/{sid}/reject", headers=w.auth("qs2"),
                           json={"version": v2, "reason": "重复数据"})
    assert second.status_code == 409 and second.json()["code"] == "conflict"
    third = w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs2"),
                          json={"version": v2, "changes": {"org_code": "60003734-1"}})
    assert third.status_code == 409
    row = w.staged(sid)
    assert row.status == "released" and row.staged["org_code"] == "19220382-1" and row.version == v + 1


def test_revoked_or_unknown_token_gets_401(any_world: World) -> None:
    w = any_world
    assert w.client.get("/api/v1/steward/me", headers=w.auth("tax")).status_code == 200
    w.sign_in("tax")
    assert w.client.get("/api/v1/steward/me").status_code == 401
    assert w.client.get("/api/v1/steward/me", headers={"Authorization": "Bearer chs_nope"}).status_code == 401
    with w.db.session() as s:
        tax_id = s.scalar(select(Steward.id).where(Steward.department == "tax"))
    revoke_steward(w.db, tax_id)
    r = w.client.get("/api/v1/steward/queue", headers=w.auth("tax"))
    assert r.status_code == 401 and "TX-" not in r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    page = w.client.get("/steward", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/steward/login")


def test_reject_and_bulk_actions(any_world: World) -> None:
    w = any_world
    bad_tax = w.tax_bad
    r = w.client.post("/api/v1/steward/bulk/fix", headers=w.auth("tax"),
                      json={"ids": bad_tax, "changes": {"rating": "B"}})
    body = r.json()
    # TX-0002 only had a bad rating -> released; TX-0003 also has a bad taxpayer id -> refused with reasons.
    assert [d["id"] for d in body["done"]] == [bad_tax[0]]
    assert body["refused"][0]["id"] == bad_tax[1]
    assert body["refused"][0]["failures"][0]["expectation"] == "expect_column_values_to_be_valid_enterprise_id"
    assert w.staged(bad_tax[1]).staged["rating"] == "A"
    r = w.client.post("/api/v1/steward/bulk/reject", headers=w.auth("tax"), json={"ids": [bad_tax[1]], "reason": "查无此户"})
    assert [d["status"] for d in r.json()["done"]] == ["rejected"]
    row = w.staged(bad_tax[1])
    assert row.status == "rejected" and row.resolution_note == "查无此户"
    r = w.client.post(f"/api/v1/steward/records/{w.qs_bad[2]}/reject", headers=w.auth("qs"),
                      json={"version": w.staged(w.qs_bad[2]).version, "reason": " "})
    assert r.status_code == 422


def test_queue_filters_by_expectation_field_batch_and_age(any_world: World) -> None:
    w = any_world
    q = lambda **p: w.client.get("/api/v1/steward/queue", params=p, headers=w.auth("admin")).json()  # noqa: E731
    assert q(expectation="expect_column_values_to_be_valid_org_code")["total"] == 2
    assert q(field="issue")["total"] == 1
    assert q(field="rating", expectation="expect_column_values_to_be_in_set")["total"] == 1
    assert q(batch_id=w.tax_batch)["total"] == 2
    assert [i["source_record_id"] for i in q(source_record_id="TX-0002")["items"]] == ["TX-0002"]
    assert q(older_than_hours=1)["total"] == 0 and q(newer_than_hours=1)["total"] == 5
    page = q(page_size=2, page=3)
    assert page["total"] == 5 and len(page["items"]) == 1


def test_audit_log_is_admin_only_and_exportable(any_world: World) -> None:
    w = any_world
    # One steward's identity fix waits for a second (test_two_person_approval.py); here: the fix itself.
    w.settings.steward_two_person_approval = False
    sid = w.qs_bad[0]
    w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs"),
                  json={"version": w.staged(sid).version, "changes": {"org_code": "19220382-1"}})
    assert w.client.get("/api/v1/steward/audit", headers=w.auth("qs")).status_code == 403
    assert w.client.get("/api/v1/steward/audit/export", headers=w.auth("qs")).status_code == 403
    body = w.client.get("/api/v1/steward/audit", headers=w.auth("admin")).json()
    actions = [e["action"] for e in body["items"]]
    assert actions[0] == "fix" and actions.count("steward_add") == 4
    lines = w.client.get("/api/v1/steward/audit/export", params={"format": "jsonl"}, headers=w.auth("admin")).text
    entries = [json.loads(x) for x in lines.splitlines()]
    assert [e["action"] for e in entries][-1] == "fix"
    assert entries[-1]["before"]["staged"]["org_code"] == "19220382-2"
    text = w.client.get("/api/v1/steward/audit/export", params={"format": "csv"}, headers=w.auth("admin")).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["action"] == "fix" and json.loads(rows[-1]["after"])["status"] == "released"
    # Append-only: the log only grows.
    with w.db.session() as s:
        n = s.scalar(select(func.count()).select_from(AuditLog))
    assert n == len(entries)


def test_held_batch_release_decision_promotes_rows(any_world: World) -> None:
    from tests.validation.helpers import make_batch, spot_row

    from credithub.pipeline.validate import validate_batch
    from tests.stewardship.conftest import resolver

    w = any_world
    big = make_batch(w.db, [spot_row(100 + i) for i in range(60)])
    validate_batch(w.db, w.settings, big, stream=resolver("quality_supervision", "spot_checks"), build_docs=False)
    small = make_batch(w.db, [spot_row(300 + i) for i in range(3)])
    assert validate_batch(w.db, w.settings, small, stream=resolver("quality_supervision", "spot_checks"),
                          build_docs=False).held
    held = w.client.get("/api/v1/steward/batches/held", headers=w.auth("qs")).json()
    assert [b["id"] for b in held] == [small] and held[0]["pending"] == 3 and "减少" in held[0]["hold_reason"]
    assert w.client.get("/api/v1/steward/batches/held", headers=w.auth("tax")).json() == []
    assert w.client.post(f"/api/v1/steward/batches/{small}/decision", headers=w.auth("tax"),
                         json={"decision": "release", "note": "x"}).status_code == 404
    r = w.client.post(f"/api/v1/steward/batches/{small}/decision", headers=w.auth("qs"),
                      json={"decision": "release", "note": "部门确认本月只有3条抽查"})
    assert r.status_code == 200 and r.json()["passed"] == 3
    with w.db.session() as s:
        statuses = set(s.scalars(select(StagedRecord.status).where(StagedRecord.batch_id == small)))
        assert statuses == {"passed"}
        assert s.scalars(select(AuditLog.action).where(AuditLog.target == f"batch:{small}")).all() == ["batch_release"]


def test_release_now_resolves_profiles_and_publishes_the_company(any_world: World) -> None:
    from credithub.storage.tables import EntityLink, ProfileRow

    w = any_world
    # One steward's identity fix waits for a second (test_two_person_approval.py); here: the fix itself.
    w.settings.steward_two_person_approval = False
    sid = w.qs_bad[0]
    early = w.client.post(f"/api/v1/steward/records/{sid}/release-now", headers=w.auth("qs"))
    assert early.status_code == 409  # still quarantined
    w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs"),
                  json={"version": w.staged(sid).version, "changes": {"org_code": "19220382-1"}})
    assert w.client.post(f"/api/v1/steward/records/{sid}/release-now", headers=w.auth("tax")).status_code == 404
    r = w.client.post(f"/api/v1/steward/records/{sid}/release-now", headers=w.auth("qs"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["entity_ids"]) == 1
    with w.db.session() as s:
        canon = s.scalars(select(CanonicalRecordRow).where(
            CanonicalRecordRow.source_record_id == w.staged(sid).source_record_id)).one()
        assert s.get(EntityLink, canon.id).entity_id == body["entity_ids"][0]
        profile = s.get(ProfileRow, body["entity_ids"][0])
        assert profile is not None and profile.published_hash == profile.content_hash
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "release_now")).all() == ["release_now"]
