"""Headless Chromium: a steward signs in, finds a quarantined record, fixes it, releases it at once,
and the corrected company is then found on the public search page. Everything runs locally."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from credithub.settings import Settings
from credithub.storage.db import Database
from tests.browser.conftest import browser, serve_in_thread  # noqa: F401 - the shared Chromium fixture
from tests.stewardship.conftest import World, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def console(sqlite_db: Database, settings: Settings) -> Iterator[tuple[str, World]]:
    from api.app import create_app

    world = build_world(sqlite_db, settings)
    with serve_in_thread(create_app(settings)) as url:
        # The console only takes form posts from its own public origin (CSRF defence).
        settings.steward_public_origin = url
        yield url, world


def test_steward_fixes_releases_and_public_search_finds_the_company(console, browser) -> None:  # noqa: F811
    base, world = console
    requests: list[str] = []
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))

    page.goto(base + "/steward")
    page.wait_for_url("**/steward/login**")
    page.get_by_label("访问令牌").fill(world.tokens["qs"])
    with page.expect_navigation():
        page.locator("#login-submit").click()
    assert "隔离队列" in page.locator("h1").inner_text()

    page.locator("#f-record").fill("QS-00010")
    with page.expect_navigation():
        page.locator("#filter-submit").click()
    rows = page.locator("#queue-table tbody tr[data-record-id]")
    assert rows.count() == 1 and "expect_column_values_to_be_valid_org_code" in rows.first.inner_text()
    with page.expect_navigation():
        rows.first.locator("a").click()

    assert "组织机构代码" in page.locator("#failures").inner_text()
    assert "19220382-2" in page.locator("#raw-row").inner_text()
    # First attempt: still a wrong check digit -> refused with the reason, nothing changes.
    page.locator("#field-org_code").fill("60003734-2")
    with page.expect_navigation():
        page.locator("#fix-submit").click()
    assert "校验位" in page.locator("#error").inner_text()
    assert page.locator("#record-status").get_attribute("data-status") == "quarantined"
    page.locator("#field-org_code").fill("60003734-1")
    with page.expect_navigation():
        page.locator("#fix-submit").click()
    # An identity field: the fix waits for a second steward, and this steward cannot approve it.
    assert "待审批" in page.locator("#flash").inner_text()
    assert page.locator("#record-status").get_attribute("data-status") == "quarantined"
    assert page.locator("#pending-change button[id^=change-approve]").count() == 0
    assert page.locator("#release-now").count() == 0
    record_url = page.url.split("?")[0]

    second = browser.new_context(locale="zh-CN")
    reviewer = second.new_page()
    reviewer.on("request", lambda r: requests.append(r.url))
    reviewer.goto(base + "/steward/login")
    reviewer.get_by_label("访问令牌").fill(world.tokens["qs2"])
    with reviewer.expect_navigation():
        reviewer.locator("#login-submit").click()
    with reviewer.expect_navigation():
        reviewer.locator("#nav-changes").click()
    change = reviewer.locator("#changes-table tbody tr[data-change-id]")
    assert change.count() == 1 and "60003734-1" in change.first.inner_text()
    with reviewer.expect_navigation():
        change.first.locator("button[id^=change-approve]").click()
    assert "已批准" in reviewer.locator("#flash").inner_text()
    second.close()

    page.goto(record_url)
    assert page.locator("#record-status").get_attribute("data-status") == "released"
    with page.expect_navigation():
        page.locator("#release-now").click()
    assert "已立即发布" in page.locator("#flash").inner_text()

    page.goto(base + "/")
    page.get_by_label("企业名称或代码").fill("60003734-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    first = page.locator("ol.hits li.hit h3").first
    assert first.inner_text() == "深圳市测试10科技有限公司"

    for url in requests:
        parsed = urlparse(url)
        assert parsed.scheme == "data" or parsed.hostname == "127.0.0.1", url
    assert not any(re.search(r"cdn|googleapis|unpkg", u) for u in requests)
    context.close()


def test_a_page_on_another_port_cannot_post_the_console_forms(console, browser) -> None:  # noqa: F811
    """Another port of the same host is same-site, so Chromium sends the SameSite=Strict cookie along;
    the Origin check and the CSRF token are what refuse the forged form."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    base, world = console
    sid = world.tax_bad[0]
    before = world.staged(sid)
    forged = f"""<!doctype html><form id="f" method="post" action="{base}/steward/records/{sid}/reject">
      <input name="version" value="{before.version}"><input name="reason" value="forged">
      <input name="csrf_token" value="guess"></form><script>document.getElementById('f').submit()</script>"""
    evil = Starlette(routes=[Route("/", lambda request: HTMLResponse(forged))])

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/steward/login")
    page.get_by_label("访问令牌").fill(world.tokens["tax"])
    with page.expect_navigation():
        page.locator("#login-submit").click()
    with serve_in_thread(evil) as evil_url:
        with page.expect_response(lambda r: r.url.endswith(f"/records/{sid}/reject")) as answer:
            page.goto(evil_url + "/")
        assert answer.value.status == 403
    after = world.staged(sid)
    assert (after.status, after.version, after.resolution_note) == ("quarantined", before.version, None)
    context.close()
