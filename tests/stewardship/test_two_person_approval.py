"""Issue 11, item 4: a steward's change of a company's identity fields (name, codes, legal rep) needs a
second, different steward's approval before it is released or published; nobody approves their own."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from credithub.storage.tables import AuditLog, CanonicalRecordRow, PendingChange
from tests.stewardship.conftest import World


def _fix_org_code(w: World, who: str = "qs"):  # type: ignore[no-untyped-def]
    sid = w.qs_bad[0]
    return sid, w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth(who),
                              json={"version": w.staged(sid).version, "changes": {"org_code": "19220382-1"},
                                    "note": "核对营业执照"})


def _canonical_count(w: World, sid: int) -> int:
    with w.db.session() as s:
        return s.scalar(select(func.count()).select_from(CanonicalRecordRow).where(
            CanonicalRecordRow.source_record_id == w.staged(sid).source_record_id)) or 0


def test_single_steward_cannot_publish_an_identity_change(any_world: World) -> None:
    w = any_world
    sid, r = _fix_org_code(w)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "awaiting_approval" and body["pending_change_id"]
    row = w.staged(sid)
    assert row.status == "quarantined" and row.staged["org_code"] == "19220382-2"  # nothing applied yet
    assert _canonical_count(w, sid) == 0  # not promoted, so nothing can be published
    now = w.client.post(f"/api/v1/steward/records/{sid}/release-now", headers=w.auth("qs"))
    assert now.status_code == 409 and "审批" in now.json()["detail"]
    # The record is locked while the change waits: no second fix, no rejection around the rule.
    again = w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs"),
                          json={"version": w.staged(sid).version, "changes": {"result": "合格"}})
    assert again.status_code == 409
    assert w.client.post(f"/api/v1/steward/records/{sid}/reject", headers=w.auth("qs"),
                         json={"version": w.staged(sid).version, "reason": "x"}).status_code == 409
    # The proposer cannot approve it.
    own = w.client.post(f"/api/v1/steward/changes/{body['pending_change_id']}/approve", headers=w.auth("qs"), json={})
    assert own.status_code == 403
    assert w.staged(sid).status == "quarantined" and _canonical_count(w, sid) == 0
    # Another department's steward does not even see it.
    assert w.client.post(f"/api/v1/steward/changes/{body['pending_change_id']}/approve", headers=w.auth("tax"),
                         json={}).status_code == 404
    with w.db.session() as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.target == f"staged:{sid}")).all() == ["change_propose"]


def test_second_stewards_approval_releases_and_publishes(any_world: World) -> None:
    w = any_world
    sid, r = _fix_org_code(w)
    change_id = r.json()["pending_change_id"]
    listed = w.client.get("/api/v1/steward/changes", headers=w.auth("qs2")).json()
    assert [c["id"] for c in listed] == [change_id]
    assert listed[0]["identity_fields"] == ["org_code"] and listed[0]["current"] == {"org_code": "19220382-2"}
    assert w.client.get("/api/v1/steward/changes", headers=w.auth("tax")).json() == []
    ok = w.client.post(f"/api/v1/steward/changes/{change_id}/approve", headers=w.auth("qs2"), json={"note": "已核对"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "released" and ok.json()["canonical_record_id"]
    row = w.staged(sid)
    assert row.status == "released" and row.staged["org_code"] == "19220382-1"
    assert _canonical_count(w, sid) == 1
    assert w.client.post(f"/api/v1/steward/changes/{change_id}/approve", headers=w.auth("admin"),
                         json={}).status_code == 409  # decided once
    published = w.client.post(f"/api/v1/steward/records/{sid}/release-now", headers=w.auth("qs"))
    assert published.status_code == 200 and len(published.json()["entity_ids"]) == 1
    with w.db.session() as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.target == f"staged:{sid}").order_by(AuditLog.id)).all()
        assert [e.action for e in entries] == ["change_propose", "change_approve", "release_now"]
        assert entries[0].actor.startswith("qs-steward#") and entries[1].actor.startswith("qs2-steward#")
        assert entries[1].after["proposed_by"].startswith("qs-steward#") and entries[1].after["status"] == "released"
        assert s.get(PendingChange, change_id).status == "approved"


def test_rejection_keeps_the_record_quarantined_and_is_audited(any_world: World) -> None:
    w = any_world
    sid, r = _fix_org_code(w)
    change_id = r.json()["pending_change_id"]
    assert w.client.post(f"/api/v1/steward/changes/{change_id}/reject", headers=w.auth("admin"),
                         json={"reason": " "}).status_code == 422
    out = w.client.post(f"/api/v1/steward/changes/{change_id}/reject", headers=w.auth("admin"),
                        json={"reason": "代码与登记机关不符"})
    assert out.status_code == 200 and out.json()["status"] == "rejected"
    row = w.staged(sid)
    assert row.status == "quarantined" and row.staged["org_code"] == "19220382-2" and _canonical_count(w, sid) == 0
    with w.db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "change_reject")).one()
        assert entry.after["reason"] == "代码与登记机关不符" and entry.before["changes"] == {"org_code": "19220382-1"}
    # The lock is gone: the record can be fixed again (and proposes again).
    again = w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs2"),
                          json={"version": row.version, "changes": {"org_code": "60003734-1"}})
    assert again.status_code == 202


def test_non_identity_fixes_and_the_switch(any_world: World) -> None:
    w = any_world
    # A non-identity field is released at once, as before.
    rating = w.client.post(f"/api/v1/steward/records/{w.tax_bad[0]}/fix", headers=w.auth("tax"),
                           json={"version": w.staged(w.tax_bad[0]).version, "changes": {"rating": "B"}})
    assert rating.status_code == 200 and rating.json()["status"] == "released"
    # Bulk fixes of an identity field become pending changes too.
    bulk = w.client.post("/api/v1/steward/bulk/fix", headers=w.auth("qs"),
                         json={"ids": w.qs_bad[:2], "changes": {"org_code": "19220382-1"}}).json()
    assert [d["status"] for d in bulk["done"]] == ["awaiting_approval"] * 2
    assert {w.staged(i).status for i in w.qs_bad[:2]} == {"quarantined"}
    # The rule and its field list are settings.
    w.settings.steward_identity_fields = ["name"]
    sid = w.qs_bad[2]
    off = w.client.post(f"/api/v1/steward/records/{sid}/fix", headers=w.auth("qs"),
                        json={"version": w.staged(sid).version, "changes": {"issue": "标签不合格"}})
    assert off.status_code == 200 and off.json()["status"] == "released"


def test_console_approval_flow(world: World) -> None:
    w = world
    sid = w.qs_bad[0]
    w.sign_in("qs")
    page = w.client.get(f"/steward/records/{sid}")
    version = re.search(r'id="fix-version" value="(\d+)"', page.text).group(1)
    r = w.post_form(f"/steward/records/{sid}/fix", {"version": version, "f__org_code": "19220382-1"})
    assert r.status_code == 200 and "待审批" in r.text and 'id="pending-change"' in r.text
    assert 'data-status="quarantined"' in r.text and 'id="release-now"' not in r.text
    change_id = int(re.search(r'id="pending-change" data-change-id="(\d+)"', r.text).group(1))
    assert f'id="own-change-{change_id}"' in r.text and f'id="change-approve-{change_id}"' not in r.text
    forged = w.post_form(f"/steward/changes/{change_id}/approve", {})
    assert forged.status_code == 403 and w.staged(sid).status == "quarantined"
    w.sign_in("qs2")
    listing = w.client.get("/steward/changes")
    assert f'data-change-id="{change_id}"' in listing.text and "19220382-2" in listing.text
    ok = w.post_form(f"/steward/changes/{change_id}/approve", {"note": "已核对"})
    assert ok.status_code == 200 and "已批准" in ok.text and 'data-status="released"' in ok.text
    assert w.staged(sid).staged["org_code"] == "19220382-1"


def test_a_change_whose_record_moved_on_is_not_applied(world: World) -> None:
    from sqlalchemy import update

    from credithub.storage.tables import StagedRecord

    w = world
    sid, r = _fix_org_code(w)
    change_id = r.json()["pending_change_id"]
    with w.db.session() as s:  # what sync does when a newer version of the source record arrives
        s.execute(update(StagedRecord).where(StagedRecord.id == sid).values(status="superseded"))
    out = w.client.post(f"/api/v1/steward/changes/{change_id}/approve", headers=w.auth("qs2"), json={})
    assert out.status_code == 409
    with w.db.session() as s:
        assert s.get(PendingChange, change_id).status == "stale"
    assert w.staged(sid).staged["org_code"] == "19220382-2" and _canonical_count(w, sid) == 0
