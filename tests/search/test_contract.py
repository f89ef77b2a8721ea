"""The search backend contract: every backend passes this suite.

Embedded always runs; Elasticsearch runs when CREDITHUB_ES_URL points at a cluster.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from credithub.domain import Profile
from credithub.search.base import SearchBackend, SearchFilters, SearchQuery
from credithub.search.documents import profile_document
from tests.search.conftest import BackendFactory, make_profile


def search(backend: SearchBackend, q: str = "", **kwargs: Any) -> list[str]:
    return [h.entity_id for h in backend.search(SearchQuery(q=q, **kwargs)).hits]


def first(backend: SearchBackend, q: str) -> str | None:
    ids = search(backend, q)
    return ids[0] if ids else None


def by_id(profiles: list[Profile], entity_id: str) -> Profile:
    return next(p for p in profiles if p.entity_id == entity_id)


def test_backend_implements_protocol(backend: SearchBackend) -> None:
    assert isinstance(backend, SearchBackend)
    assert backend.count() == 21
    assert backend.live_version()


# ---- identifiers in every common spelling ---------------------------------------------------------

def _to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    "spell",
    [
        pytest.param(lambda p: p.identity.uscc, id="uscc"),
        pytest.param(lambda p: p.identity.uscc.lower(), id="uscc-lower"),
        pytest.param(lambda p: _to_fullwidth(p.identity.uscc), id="uscc-fullwidth"),
        pytest.param(lambda p: " ".join(p.identity.uscc[i : i + 4] for i in range(0, 18, 4)), id="uscc-spaces"),
        pytest.param(lambda p: p.identity.org_code, id="org-code-hyphen"),
        pytest.param(lambda p: p.identity.org_code.replace("-", ""), id="org-code-plain"),
        pytest.param(lambda p: p.identity.reg_nos[0], id="reg-no-15"),
        pytest.param(lambda p: p.identity.tax_nos[0], id="tax-no"),
    ],
)
def test_find_by_identifier(backend: SearchBackend, profiles: list[Profile], spell: Any) -> None:
    target = by_id(profiles, "E-HUAXIN-TECH")
    result = backend.search(SearchQuery(q=spell(target)))
    assert result.hits, spell(target)
    assert result.hits[0].entity_id == "E-HUAXIN-TECH"
    assert result.hits[0].matched == "identifier"


def test_org_code_found_through_uscc_when_not_recorded(backend: SearchBackend, profiles: list[Profile]) -> None:
    branch = by_id(profiles, "E-HUAXIN-BRANCH")
    assert branch.identity.org_code is None
    org = branch.identity.uscc[8:17]
    assert first(backend, f"{org[:8]}-{org[8]}") == "E-HUAXIN-BRANCH"


# ---- names in every common spelling -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("q", "expected", "matched"),
    [
        ("深圳市华信科技有限公司", "E-HUAXIN-TECH", "name"),
        ("深圳市华信科枝有限公司", "E-HUAXIN-TECH", "name"),  # typo
        ("深圳市鹏成物流有限公司", "E-PENGCHENG", "name"),  # typo
        ("深圳市華信科技有限公司", "E-HUAXIN-TECH", "name"),  # traditional
        ("深圳市綠源環保科技有限公司", "E-LVYUAN", "name"),  # traditional
        ("华信科技有限公司", "E-HUAXIN-TECH", "name"),  # region dropped
        ("蓝海贸易有限公司", "E-LANHAI", "name"),  # region dropped
        ("华信科技（深圳）有限公司", "E-HUAXIN-TECH", "name"),  # region in full-width brackets
        ("华信科技(深圳)有限公司", "E-HUAXIN-TECH", "name"),  # region in half-width brackets
        ("深圳市腾龙精密制造有限公司", "E-TENGLONG", "name"),  # registered with brackets, typed without
        ("深圳市华信科技有限责任公司", "E-HUAXIN-TECH", "name"),  # 有限责任公司 = 有限公司
        ("深圳市华信网络有限公司", "E-HUAXIN-TECH", "former_name"),  # former name
        ("博雅软件开发", "E-ZHIYUAN", "former_name"),  # former name, shortened
        ("深圳市金鹏达实业发展有限公司", "E-JINPENGDA", "other_name"),  # department spelling
        ("深圳金鹏达实业有限公司", "E-JINPENGDA", "name"),  # 深圳 without 市
        ("鹏程", "E-PENGCHENG", "trade_name"),  # trade name alone
        ("金鹏达", "E-JINPENGDA", "trade_name"),
        ("绿源环保", "E-LVYUAN", "name"),
    ],
)
def test_find_by_name_variant(backend: SearchBackend, q: str, expected: str, matched: str) -> None:
    hits = backend.search(SearchQuery(q=q)).hits
    assert hits, q
    assert hits[0].entity_id == expected, [(h.entity_id, h.score, h.matched) for h in hits]
    assert hits[0].matched == matched


def test_same_trade_name_other_industry_ranks_second(backend: SearchBackend) -> None:
    assert search(backend, "深圳市华信电子有限公司")[0] == "E-HUAXIN-ELEC"
    assert {"E-HUAXIN-ELEC", "E-HUAXIN-TECH", "E-HUAXIN-BRANCH"} <= set(search(backend, "华信"))
    ids = search(backend, "华信科技")
    assert ids[0] == "E-HUAXIN-TECH"
    assert ids.index("E-HUAXIN-BRANCH") > 0


def test_unrelated_query_finds_nothing(backend: SearchBackend) -> None:
    assert backend.search(SearchQuery(q="阿里巴巴网络技术")).total == 0
    assert backend.search(SearchQuery(q="999999999999999999")).total == 0


def test_highlight_marks_match_and_escapes(backend_factory: BackendFactory, documents: list[dict[str, Any]]) -> None:
    b = backend_factory()
    odd = profile_document(make_profile("E-ODD", "深圳市<b>华信</b>&测试有限公司", "11112222"))
    b.rebuild([*documents, odd])
    hit = b.search(SearchQuery(q="華信科技")).hits[0]
    assert hit.highlight == "深圳市<em>华信科技</em>有限公司"
    odd_hit = next(h for h in b.search(SearchQuery(q="华信&测试", size=50)).hits if h.entity_id == "E-ODD")
    assert "<b>" not in odd_hit.highlight and "&lt;b&gt;" in odd_hit.highlight and "&amp;" in odd_hit.highlight
    assert "<em>" in odd_hit.highlight


def test_hit_carries_display_fields(backend: SearchBackend, profiles: list[Profile]) -> None:
    hit = backend.search(SearchQuery(q="鹏程物流")).hits[0]
    p = by_id(profiles, "E-PENGCHENG")
    assert (hit.name, hit.uscc, hit.status, hit.district, hit.tax_rating) == (
        p.identity.name, p.identity.uscc, "吊销", "龙岗区", "C")
    assert hit.established == "2010-01-20"
    assert sorted(hit.flags) == ["dishonest_debtor", "serious_dishonest"]


# ---- filters ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"district": "龙岗区"}, {"E-PENGCHENG", "E-LVYUAN"}),
        ({"status": "注销"}, {"E-LANHAI"}),
        ({"status": "吊销"}, {"E-PENGCHENG"}),
        ({"industry": "制造业"}, {"E-HUAXIN-ELEC", "E-TENGLONG", "E-JINPENGDA"}),
        ({"tax_rating": "D"}, {"E-LANHAI"}),
        ({"customs_grade": "高级认证企业"}, {"E-TENGLONG"}),
        ({"environment_rating": "绿"}, {"E-LVYUAN"}),
        ({"flags": ["dishonest_debtor"]}, {"E-PENGCHENG"}),
        ({"flags": ["abnormal_operations"]}, {"E-HUAXIN-ELEC"}),
        ({"flags": ["serious_dishonest"]}, {"E-PENGCHENG"}),
        ({"flags": ["red_list"]}, {"E-HUAXIN-TECH"}),
        ({"flags": ["dishonest_debtor", "serious_dishonest"]}, {"E-PENGCHENG"}),
        ({"flags": ["dishonest_debtor", "red_list"]}, set()),
        ({"district": "南山区", "tax_rating": "A"}, {"E-HUAXIN-TECH", "E-FILL-03", "E-FILL-09"}),
    ],
)
def test_filters_without_query(backend: SearchBackend, filters: dict[str, Any], expected: set[str]) -> None:
    result = backend.search(SearchQuery(filters=SearchFilters(**filters), size=100))
    assert {h.entity_id for h in result.hits} == expected
    assert result.total == len(expected)


def test_filter_combines_with_query(backend: SearchBackend) -> None:
    assert search(backend, "华信", filters=SearchFilters(district="福田区")) == ["E-HUAXIN-ELEC"]
    assert search(backend, "华信", filters=SearchFilters(flags=["red_list"])) == ["E-HUAXIN-TECH"]


# ---- sorting and pagination -------------------------------------------------------------------------

def test_sort_by_established_and_capital(backend: SearchBackend, profiles: list[Profile]) -> None:
    def values(sort: str, attr: str) -> list[Any]:
        hits = backend.search(SearchQuery(q="科技", sort=sort, size=100)).hits
        return [getattr(by_id(profiles, h.entity_id).identity, attr) for h in hits]

    est = values("established", "established")
    assert len(est) >= 12 and est == sorted(est)
    assert values("-established", "established") == sorted(est, reverse=True)
    cap = values("capital", "registered_capital")
    assert cap == sorted(cap)
    assert values("-capital", "registered_capital") == sorted(cap, reverse=True)


def test_sort_by_name(backend: SearchBackend) -> None:
    hits = backend.search(SearchQuery(filters=SearchFilters(district="宝安区"), sort="name", size=100)).hits
    names = [h.name for h in hits]
    assert len(names) >= 3 and names == sorted(names)


@pytest.mark.parametrize("sort", ["relevance", "name", "-established"])
def test_pagination_total_and_no_overlap(backend: SearchBackend, sort: str) -> None:
    full = backend.search(SearchQuery(q="科技", sort=sort, size=100))
    assert full.total >= 14
    seen: list[str] = []
    for page in range(1, 7):
        result = backend.search(SearchQuery(q="科技", sort=sort, page=page, size=3))
        assert result.total == full.total
        assert result.page == page and len(result.hits) <= 3
        seen.extend(h.entity_id for h in result.hits)
    assert len(seen) == len(set(seen)) == min(18, full.total)
    assert seen == [h.entity_id for h in full.hits][: len(seen)]


def test_page_past_the_end_is_empty(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(q="鹏程", page=5, size=10))
    assert result.total >= 1 and result.hits == []
    deep = backend.search(SearchQuery(q="科技", page=1001, size=10))  # past the 10,000-result window
    assert deep.total >= 14 and deep.hits == []


# ---- writes -----------------------------------------------------------------------------------------

def test_upsert_replaces_document(backend: SearchBackend) -> None:
    renamed = profile_document(make_profile("E-LANHAI", "深圳市碧波海洋贸易有限公司", "56129834",
                                            former=["深圳市蓝海贸易有限公司"], district="盐田区", status="存续"))
    assert backend.upsert([renamed]) == 1
    assert backend.count() == 21
    hits = backend.search(SearchQuery(q="碧波海洋")).hits
    assert hits[0].entity_id == "E-LANHAI" and hits[0].district == "盐田区"
    assert search(backend, "", filters=SearchFilters(status="注销")) == []
    assert backend.search(SearchQuery(q="深圳市蓝海贸易有限公司")).hits[0].matched == "former_name"


def test_upsert_adds_new_document(backend: SearchBackend) -> None:
    new = profile_document(make_profile("E-NEW", "深圳市天穹航空科技有限公司", "13572468"))
    assert backend.upsert([new]) == 1
    assert backend.count() == 22
    assert first(backend, "天穹航空") == "E-NEW"


def test_delete_removes_document(backend: SearchBackend, profiles: list[Profile]) -> None:
    uscc = by_id(profiles, "E-PENGCHENG").identity.uscc
    assert backend.delete(["E-PENGCHENG", "E-DOES-NOT-EXIST"]) == 1
    assert backend.count() == 20
    assert "E-PENGCHENG" not in search(backend, "鹏程物流")
    assert backend.search(SearchQuery(q=uscc)).total == 0
    assert backend.delete([]) == 0


def test_writes_are_seen_by_another_reader(backend_factory: BackendFactory, documents: list[dict[str, Any]]) -> None:
    writer, reader = backend_factory(), backend_factory()
    writer.rebuild(documents)
    assert first(reader, "鹏程物流") == "E-PENGCHENG"
    writer.delete(["E-PENGCHENG"])
    deadline = time.monotonic() + 5
    while "E-PENGCHENG" in search(reader, "鹏程物流") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "E-PENGCHENG" not in search(reader, "鹏程物流")


def test_rebuild_swaps_version_without_downtime(
    backend_factory: BackendFactory, documents: list[dict[str, Any]]
) -> None:
    writer, reader = backend_factory(), backend_factory()
    assert writer.live_version() is None
    assert reader.search(SearchQuery(q="华信")).total == 0
    v1 = writer.rebuild(documents)
    assert reader.live_version() == v1

    stop = threading.Event()
    observed: list[int] = []
    errors: list[BaseException] = []

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                observed.append(len(search(reader, "华信科技")))
            except BaseException as exc:  # noqa: BLE001 - any failure during the swap is the defect under test
                errors.append(exc)

    def slow_documents() -> Any:
        for doc in documents:
            time.sleep(0.01)  # keep the build open while readers search
            yield {**doc, "name": doc["name"]} if doc["entity_id"] != "E-NEW2" else doc
        yield profile_document(make_profile("E-NEW2", "深圳市华信科技发展有限公司", "24681357"))

    thread = threading.Thread(target=keep_searching)
    thread.start()
    try:
        v2 = writer.rebuild(slow_documents())
        time.sleep(1.2)  # let readers follow the swap
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert observed and min(observed) > 0
    assert v2 != v1 and reader.live_version() == v2 == writer.live_version()
    assert writer.count() == 22
    assert "E-NEW2" in search(reader, "华信科技发展")
