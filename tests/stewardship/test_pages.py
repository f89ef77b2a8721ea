"""The /steward console: sign-in cookie, queue, record page, fix form, Data Docs served offline."""

from __future__ import annotations

import re

from sqlalchemy import select

from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import ValidationRun
from tests.stewardship.conftest import ORIGIN, World, build_world

EXTERNAL_ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)


def _sign_in(w: World, who: str) -> None:
    form = w.client.get("/steward/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    r = w.client.post("/steward/login", data={"token": w.tokens[who], "csrf_token": token},
                      headers={"Origin": ORIGIN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/steward"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("credithub_steward="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_sign_in_rejects_bad_token_and_pages_require_it(world: World) -> None:
    r = world.client.get("/steward", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/steward/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', world.client.get("/steward/login").text).group(1)
    r = world.client.post("/steward/login", data={"token": "chs_wrong", "csrf_token": token},
                          headers={"Origin": ORIGIN})
    assert r.status_code == 401 and "令牌无效" in r.text


def test_steward_finds_and_fixes_a_record_through_the_pages(world: World) -> None:
    w = world
    w.settings.steward_two_person_approval = False  # the four-eyes flow: test_two_person_approval.py
    _sign_in(w, "qs")
    queue = w.client.get("/steward", params={"expectation": "expect_column_values_to_be_valid_org_code"})
    assert queue.status_code == 200 and 'id="queue-table"' in queue.text and "共 2 条" in queue.text
    sid = w.qs_bad[0]
    assert f'id="record-link-{sid}"' in queue.text and "TX-" not in queue.text
    one = w.client.get("/steward", params={"source_record_id": w.staged(sid).source_record_id})
    assert one.text.count('data-record-id="') == 1 and f'data-record-id="{sid}"' in one.text
    page = w.client.get(f"/steward/records/{sid}")
    assert 'id="failures"' in page.text and 'id="raw-row"' in page.text and "组织机构代码" in page.text
    version = re.search(r'id="fix-version" value="(\d+)"', page.text).group(1)
    # A refused fix re-renders the form with the reason and keeps the record quarantined.
    bad = w.post_form(f"/steward/records/{sid}/fix", {"version": version, "f__org_code": "19220382-9"})
    assert bad.status_code == 422 and 'id="error"' in bad.text and "校验位" in bad.text
    assert w.staged(sid).status == "quarantined"
    ok = w.post_form(f"/steward/records/{sid}/fix", {"version": version, "f__org_code": "19220382-1",
                                                     "note": "核对营业执照"})
    assert ok.status_code == 200 and "已放行" in ok.text and 'data-status="released"' in ok.text
    assert 'id="release-now"' in ok.text
    row = w.staged(sid)
    assert row.status == "released" and row.staged["org_code"] == "19220382-1"
    # The same form posted again with the old version is a conflict, shown on the page.
    stale = w.post_form(f"/steward/records/{sid}/fix", {"version": version, "f__org_code": "60003734-1"})
    assert stale.status_code == 409


def test_admin_sees_audit_page_steward_does_not(world: World) -> None:
    _sign_in(world, "qs")
    assert world.client.get("/steward/audit").status_code == 403
    _sign_in(world, "admin")
    page = world.client.get("/steward/audit")
    assert page.status_code == 200 and 'id="audit-table"' in page.text and "steward_add" in page.text
    assert world.client.get("/steward/audit/export?format=csv").text.startswith("id,at,actor")


def test_bulk_reject_from_the_queue_page(world: World) -> None:
    _sign_in(world, "tax")
    r = world.post_form("/steward/bulk", {"ids": [str(i) for i in world.tax_bad], "action": "reject",
                                          "reason": "来源重复"})
    assert r.status_code == 200 and "已驳回 2 条" in r.text
    assert {world.staged(i).status for i in world.tax_bad} == {"rejected"}


def test_data_docs_are_built_and_served_without_external_assets(sqlite_db: Database, settings: Settings) -> None:
    w = build_world(sqlite_db, settings, build_docs=True)
    with w.db.session() as s:
        runs = {r.department: r.datadocs_path for r in s.scalars(select(ValidationRun))}
    qs_path = runs["quality_supervision"]
    assert qs_path and (settings.datadocs_dir / qs_path).is_file()
    raw_html = (settings.datadocs_dir / qs_path).read_text(encoding="utf-8")
    assert EXTERNAL_ASSET.search(raw_html), "GX output changed: it no longer links CDNs (update this test)"
    _sign_in(w, "qs")
    runs_page = w.client.get("/steward/runs")
    assert f'href="/steward/datadocs/{qs_path}"' in runs_page.text
    served = w.client.get(f"/steward/datadocs/{qs_path}")
    assert served.status_code == 200 and "spot_checks" in served.text
    assert not EXTERNAL_ASSET.search(served.text)
    assert not re.search(r"url\((['\"]?)https?://", served.text)
    assets = set(re.findall(r"""(?:src|href)=["'](/steward/datadocs/_static/[^"']+)""", served.text))
    assert assets == {"/steward/datadocs/_static/gx-offline.css", "/steward/datadocs/_static/gx-offline.js",
                      "/steward/datadocs/_static/gx-logo.svg"}
    for a in assets:
        assert w.client.get(a).status_code == 200
    css = w.client.get(f"/steward/datadocs/{qs_path.split('validations/')[0]}static/styles/data_docs_default_styles.css")
    assert css.status_code == 200 and "https://" not in css.text
    # Another department's run page is not served to this steward; the path cannot escape the site.
    assert w.client.get(f"/steward/datadocs/{runs['tax']}").status_code == 404
    assert w.client.get("/steward/datadocs/../../etc/passwd").status_code == 404


def test_public_app_factory_mounts_the_steward_routers(world: World) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(world.settings))
    assert client.get("/steward/login").status_code == 200
    r = client.get("/api/v1/steward/me")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    me = client.get("/api/v1/steward/me", headers=world.auth("tax")).json()
    assert me["department"] == "tax"
    assert "/api/v1/steward/records/{record_id}/fix" in client.get("/openapi.json").json()["paths"]
