"""Headless Chromium: search -> company page -> a timeline entry with its source department."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


def _page(browser, requests: list[str]):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    return context, page


def _assert_local(requests: list[str]) -> None:
    assert requests
    for url in requests:
        parsed = urlparse(url)
        assert parsed.scheme in ("http", "data") and (parsed.scheme == "data" or parsed.hostname == "127.0.0.1"), url


def test_search_to_company_to_timeline_source(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    requests: list[str] = []
    context, page = _page(browser, requests)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_label("企业名称或代码").fill("深圳市华信科枝有限公司")  # one character wrong
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    first = page.locator("ol.hits li.hit").first
    assert first.locator("h3").inner_text() == "深圳市华信科技有限公司"
    assert first.locator("em").count() >= 1  # matched parts highlighted

    # organization code with a hyphen finds Huawei first; open its page by keyboard
    page.get_by_label("企业名称或代码").fill("19220382-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    link = page.locator("ol.hits li.hit h3 a").first
    assert link.inner_text() == "华为技术有限公司"
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/companies/E1")

    assert page.get_by_role("heading", level=1).inner_text() == "华为技术有限公司"
    assert "914403001922038216" in page.locator("#identity-heading + dl").inner_text()
    timeline = page.locator("ol.timeline li.event")
    assert timeline.count() == 3
    penalty = timeline.filter(has_text="行政处罚：未按规定公示年度报告")
    source = penalty.locator(".provenance").inner_text()
    assert "市场监督管理局" in source and "P-1" in source and "批次" in source
    tax = timeline.filter(has_text="纳税信用A级").locator(".provenance .dept").inner_text()
    assert tax == "税务局"
    # the conflict is shown, not resolved
    conflicts = page.locator("section.conflicts")
    assert "质量技术监督局" in conflicts.inner_text() and "深圳市南山区科技园" in conflicts.inner_text()
    # sensitive data never reaches the page
    html = page.content()
    assert "13812345678" not in html and "11010519491231002X" not in html
    # landmarks for assistive technology
    for role in ("banner", "main", "contentinfo", "navigation"):
        assert page.get_by_role(role).count() >= 1, role
    _assert_local(requests)
    context.close()


def test_filters_and_disclosure_page(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    requests: list[str] = []
    context, page = _page(browser, requests)
    page.goto(live_server + "/")
    page.get_by_label("经营异常名录").check()
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    names = page.locator("ol.hits li.hit h3").all_inner_texts()
    assert names == ["深圳市腾达物流有限公司"]
    assert "经营异常名录" in page.locator("ol.hits li.hit .flags").inner_text()
    page.get_by_role("link", name="公示规则").first.click()
    page.wait_for_url("**/about/disclosure")
    text = page.locator("main").inner_text()
    assert "行政处罚" in text and "365 天" in text and "信用修复" in text
    _assert_local(requests)
    context.close()
