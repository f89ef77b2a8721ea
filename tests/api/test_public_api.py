from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import published_app
from tests.profiles.seed import HUAWEI_USCC

PROBLEM = "application/problem+json"
SECRETS = ("11010519491231002X", "13812345678", "inspector_phone", "id_number", '"amount"')


def _is_problem(resp, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert body["instance"].startswith("/")
    return body


def test_search_by_name_with_one_wrong_character(client: TestClient) -> None:
    body = client.get("/api/v1/companies", params={"q": "深圳市华信科枝有限公司"}).json()
    assert body["hits"][0]["entity_id"] == "E2"
    assert "<em>" in body["hits"][0]["highlight"]


def test_search_by_org_code_with_hyphen_and_other_spellings(client: TestClient) -> None:
    for q in ("19220382-1", "１９２２０３８２－１", "914403001922038216", " 9144 0300 1922 0382 16 "):
        hits = client.get("/api/v1/companies", params={"q": q}).json()["hits"]
        assert hits and hits[0]["entity_id"] == "E1", q


def test_search_filters(client: TestClient) -> None:
    body = client.get("/api/v1/companies", params={"flag": "abnormal_operations"}).json()
    assert [h["entity_id"] for h in body["hits"]] == ["E4"]
    body = client.get("/api/v1/companies", params={"q": "华信", "district": "福田区"}).json()
    assert [h["entity_id"] for h in body["hits"]] == ["E3"]
    _is_problem(client.get("/api/v1/companies", params={"size": 1000}), 422)
    _is_problem(client.get("/api/v1/companies", params={"flag": "nonsense"}), 422)


def test_profile_public_and_private_fields_absent(client: TestClient) -> None:
    resp = client.get("/api/v1/companies/E1")
    assert resp.status_code == 200
    p = resp.json()
    assert p["identity"]["uscc"] == HUAWEI_USCC
    assert p["summary"]["tax_rating"] == "A" and p["summary"]["penalties_3y"] == 1
    assert {c["field"] for c in p["conflicts"]} == {"address"}
    assert all(e["provenance"]["department"] and e["provenance"]["batch_id"] for e in p["events"])
    for secret in SECRETS:
        assert secret not in resp.text


def test_private_fields_absent_from_every_public_response(client: TestClient) -> None:
    urls = [
        "/api/v1/companies?q=华为",
        "/api/v1/companies/E1",
        "/api/v1/companies/E1/events",
        "/api/v1/lookup?id=914403001922038216",
        "/",
        "/?q=华为",
        "/companies/E1",
    ]
    texts = [client.get(u).text for u in urls]
    texts.append(client.post("/api/v1/match", json={"queries": [{"name": "华为技术"}]}).text)
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_etag_and_304(client: TestClient) -> None:
    first = client.get("/api/v1/companies/E1")
    etag = first.headers["etag"]
    assert etag.startswith('"') and "max-age" in first.headers["cache-control"]
    again = client.get("/api/v1/companies/E1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/api/v1/companies/E1", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/api/v1/companies/E2").headers["etag"] != etag


def test_merged_id_redirects_301(client: TestClient) -> None:
    resp = client.get("/api/v1/companies/E5", follow_redirects=False)
    assert resp.status_code == 301 and resp.headers["location"] == "/api/v1/companies/E2"
    resp = client.get("/api/v1/companies/E5/events?page=1", follow_redirects=False)
    assert resp.status_code == 301 and resp.headers["location"] == "/api/v1/companies/E2/events?page=1"
    page = client.get("/companies/E5", follow_redirects=False)
    assert page.status_code == 301 and page.headers["location"] == "/companies/E2"


def test_not_found_is_problem(client: TestClient) -> None:
    body = _is_problem(client.get("/api/v1/companies/NOPE"), 404)
    assert body["code"] == "not_found" and body["context"] == {"entity_id": "NOPE"}
    _is_problem(client.get("/api/v1/no-such-route"), 404)
    _is_problem(client.delete("/api/v1/companies/E1"), 405)


def test_events_paged(client: TestClient) -> None:
    body = client.get("/api/v1/companies/E1/events", params={"size": 1}).json()
    assert body["total"] == 3 and len(body["events"]) == 1
    assert body["events"][0]["event_type"] == "penalty"
    second = client.get("/api/v1/companies/E1/events", params={"size": 1, "page": 2}).json()
    assert second["events"][0]["event_type"] == "spot_check"
    only_tax = client.get("/api/v1/companies/E1/events", params={"department": "tax"}).json()
    assert [e["event_type"] for e in only_tax["events"]] == ["tax_rating"]


def test_lookup(client: TestClient, ids: dict[str, str]) -> None:
    body = client.get("/api/v1/lookup", params={"id": "１９２２０３８２－１"}).json()
    assert [r["entity_id"] for r in body["results"]] == ["E1"]
    assert body["readings"][0] == {"kind": "org_code", "value": "192203821", "valid": True, "reason": None}
    assert client.get("/api/v1/lookup", params={"id": ids["E4"].lower()}).json()["results"][0]["entity_id"] == "E4"
    assert "校验" in _is_problem(client.get("/api/v1/lookup", params={"id": "914403001922038217"}), 422)["detail"]
    _is_problem(client.get("/api/v1/lookup", params={"id": "hello"}), 422)
    _is_problem(client.get("/api/v1/lookup", params={"id": "440301103097410"}), 422)  # bad check digit
    _is_problem(client.get("/api/v1/lookup", params={"id": "914403007261824992"}), 404)  # valid, unknown


def test_match_batch_and_limits(client: TestClient) -> None:
    queries = [{"key": "a", "name": "华为技术有限公司"}, {"key": "b", "identifier": "19220382-1"}, {"key": "c", "name": "完全不存在的公司"}]
    body = client.post("/api/v1/match", json={"queries": queries}).json()
    results = {r["key"]: r for r in body["results"]}
    assert results["a"]["candidates"][0]["entity_id"] == "E1" and results["a"]["candidates"][0]["match"] is True
    assert results["b"]["candidates"][0] == {**results["b"]["candidates"][0], "entity_id": "E1", "score": 1.0, "match": True}
    assert all(not c["match"] for c in results["c"]["candidates"])
    ok = client.post("/api/v1/match", json={"queries": [{"name": "华为"}] * 100})
    assert ok.status_code == 200 and len(ok.json()["results"]) == 100
    too_many = _is_problem(client.post("/api/v1/match", json={"queries": [{"name": "华为"}] * 101}), 422)
    assert too_many["code"] == "validation_failed" and too_many["errors"]
    _is_problem(client.post("/api/v1/match", json={"queries": [{"key": "x"}]}), 422)
    _is_problem(client.post("/api/v1/match", content=b"not json", headers={"content-type": "application/json"}), 422)


def test_reconcile_manifest_and_queries(client: TestClient) -> None:
    manifest = client.get("/api/v1/reconcile").json()
    assert manifest["versions"] == ["0.2"] and manifest["defaultTypes"][0]["id"] == "company"
    assert manifest["view"]["url"].endswith("/companies/{{id}}")
    queries = {"q0": {"query": "华为技术有限公司"}, "q1": {"query": "", "properties": [{"pid": "uscc", "v": "19220382-1"}]}}
    posted = client.post("/api/v1/reconcile", data={"queries": json.dumps(queries, ensure_ascii=False)}).json()
    assert posted["q0"]["result"][0]["id"] == "E1" and posted["q0"]["result"][0]["match"] is True
    assert posted["q0"]["result"][0]["type"] == [{"id": "company", "name": "企业"}]
    assert 0 <= posted["q0"]["result"][0]["score"] <= 100
    assert posted["q1"]["result"][0]["id"] == "E1"
    got = client.get("/api/v1/reconcile", params={"queries": json.dumps({"x": {"query": "华信电子", "limit": 1}})}).json()
    assert [c["id"] for c in got["x"]["result"]] == ["E3"]
    _is_problem(client.get("/api/v1/reconcile", params={"queries": "{bad"}), 422)


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["index_version"] and ready["documents"] == 4
    depts = {d["department"]: d for d in ready["departments"]}
    assert set(depts) == {"market_regulation", "quality_supervision", "tax"}
    assert depts["tax"]["age_hours"] is not None and depts["tax"]["age_hours"] < 1


def test_readiness_without_index_is_503(tmp_path: Path) -> None:
    from api.app import create_app
    from credithub.search.embedded import EmbeddedBackend
    from credithub.settings import Settings
    from credithub.storage.db import Database

    settings = Settings(var_dir=tmp_path / "var")
    Database(settings.resolved_database_url).migrate()
    with TestClient(create_app(settings, backend=EmbeddedBackend(settings.index_dir))) as c:
        resp = c.get("/readyz")
        assert resp.status_code == 503 and resp.json()["status"] == "not_ready"


def test_cors_on_read_endpoints_only(client: TestClient) -> None:
    origin = {"Origin": "https://example.org"}
    assert client.get("/api/v1/companies?q=华为", headers=origin).headers["access-control-allow-origin"] == "*"
    assert "etag" in client.get("/api/v1/companies/E1", headers=origin).headers["access-control-expose-headers"].lower()
    pre = client.options(
        "/api/v1/companies/E1", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert pre.status_code == 200 and "GET" in pre.headers["access-control-allow-methods"]
    assert "access-control-allow-origin" not in client.post("/api/v1/match", json={"queries": [{"name": "华为"}]}, headers=origin).headers
    assert "access-control-allow-origin" not in client.get("/api/v1/steward/queue", headers=origin).headers


def test_rate_limit_429_with_retry_after(tmp_path: Path) -> None:
    app, _ = published_app(tmp_path, rate_limit=5)
    with TestClient(app) as c:
        statuses = [c.get("/api/v1/companies/E1").status_code for _ in range(5)]
        assert statuses == [200] * 5
        limited = c.get("/api/v1/companies/E1", headers={"Origin": "https://example.org"})
        body = _is_problem(limited, 429)
        assert body["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["access-control-allow-origin"] == "*"
        assert c.get("/healthz").status_code == 200  # probes are exempt


def test_openapi_complete(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["info"]["title"] and doc["info"]["description"]
    public = {p: v for p, v in doc["paths"].items() if not p.startswith(("/api/v1/steward", "/api/v1/departments"))}
    for path, item in public.items():
        for method, op in item.items():
            assert op.get("description") and op.get("summary"), (path, method)
            for param in op.get("parameters", []):
                assert param.get("description"), (path, method, param["name"])
                assert "example" in param or "examples" in param or "examples" in param.get("schema", {}), (path, param["name"])
    reachable = _referenced(public, set())
    while True:
        grown = set(reachable)
        for name in reachable:
            _referenced(doc["components"]["schemas"][name], grown)
        if grown == reachable:
            break
        reachable = grown
    assert {"PublicProfile", "CompanySearchResult", "MatchRequest", "Problem", "Readiness", "SearchHit"} <= reachable
    for name in reachable:
        schema = doc["components"]["schemas"][name]
        assert schema.get("description") and schema.get("examples"), name
    not_found = doc["paths"]["/api/v1/companies/{entity_id}"]["get"]["responses"]["404"]
    assert "application/problem+json" in not_found["content"]


def _referenced(node: object, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                out.add(str(value).rsplit("/", 1)[-1])
            else:
                _referenced(value, out)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, out)
    return out


def test_pages_render_and_html_errors(client: TestClient) -> None:
    page = client.get("/?q=华信")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert page.text.count('class="hit"') == 2 and "<em>" in page.text
    assert "<script" not in page.text and "http://" not in page.text.replace("http://testserver", "")
    missing = client.get("/companies/NOPE", headers={"accept": "text/html"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html") and "未找到" in missing.text
    rules = client.get("/about/disclosure").text
    assert "行政处罚" in rules and "1095 天" in rules and "仅公示：A" in rules


def test_highlight_is_escaped() -> None:
    from api.public.pages import safe_highlight

    assert str(safe_highlight("<em>华为</em>&lt;script&gt;", "x")) == "<em>华为</em>&lt;script&gt;"
    assert str(safe_highlight(None, "<b>x</b>")) == "&lt;b&gt;x&lt;/b&gt;"


def test_company_page_labels_event_details_in_chinese(client: TestClient) -> None:
    html = client.get("/companies/E1", headers={"accept": "text/html"}).text
    # E1's seeded spot check carries product/result; the page shows them under Chinese labels.
    assert "<dt>产品</dt>" in html and "<dt>结果</dt>" in html
    assert "<dt>product</dt>" not in html and "<dt>result</dt>" not in html
