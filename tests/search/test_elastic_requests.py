"""The Elasticsearch backend's exact requests, against a recording fake ES on 127.0.0.1.

The contract suite (test_contract.py) checks behaviour on a real cluster when
CREDITHUB_ES_URL is set; these tests pin the wire format: index template, bulk NDJSON,
alias swap, cleanup and query bodies.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from credithub.errors import ConfigError, SearchBackendError
from credithub.search.base import SearchFilters, SearchQuery
from credithub.search.elastic import ElasticBackend
from credithub.search.embedded import EmbeddedBackend
from credithub.search.factory import open_backend
from credithub.settings import Settings
from tests.search import fake_es
from tests.search.fake_es import FakeCluster, fake_elasticsearch

PREFIX = "chx"
ALIAS = "chx-profiles"


@pytest.fixture
def es(tmp_path: Any) -> Iterator[tuple[ElasticBackend, FakeCluster]]:
    with fake_elasticsearch() as (url, cluster):
        backend = open_backend(Settings(var_dir=tmp_path, es_url=url, es_index_prefix=PREFIX))
        assert isinstance(backend, ElasticBackend)
        yield backend, cluster
        backend.close()


def test_factory_picks_backend_from_settings(tmp_path: Any) -> None:
    embedded = open_backend(Settings(var_dir=tmp_path, search_backend="embedded", es_url=None))
    assert isinstance(embedded, EmbeddedBackend) and embedded.index_dir == tmp_path / "index"
    es = open_backend(Settings(var_dir=tmp_path, es_url="http://127.0.0.1:9"))
    assert isinstance(es, ElasticBackend) and es.alias == "credithub-profiles"
    with pytest.raises(ConfigError, match="CREDITHUB_ES_URL"):
        open_backend(Settings(var_dir=tmp_path, search_backend="elasticsearch", es_url=None))


def test_index_template_uses_builtin_chinese_analysis(es: tuple[ElasticBackend, FakeCluster],
                                                      documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    backend.rebuild(documents)
    (put,) = cluster.of("PUT", "/_index_template/")
    assert put.path == f"/_index_template/{ALIAS}"
    body = put.json()
    assert body["index_patterns"] == [f"{ALIAS}-v*"]
    settings = body["template"]["settings"]
    assert settings["index"]["max_ngram_diff"] == 1
    analysis = settings["analysis"]
    assert analysis["filter"]["cn_bigram"] == {"type": "cjk_bigram", "output_unigrams": True}
    assert analysis["tokenizer"]["cn_ngram"] == {"type": "ngram", "min_gram": 2, "max_gram": 3,
                                                 "token_chars": ["letter", "digit"]}
    assert analysis["analyzer"]["cn_name"] == {"type": "custom", "tokenizer": "standard",
                                               "filter": ["cjk_width", "lowercase", "cn_bigram"]}
    assert analysis["analyzer"]["cn_ngram"]["filter"] == ["cjk_width", "lowercase"]
    props = body["template"]["mappings"]["properties"]
    assert body["template"]["mappings"]["dynamic"] is False
    assert props["names"] == {"type": "text", "analyzer": "cn_name", "fields": {
        "ngram": {"type": "text", "analyzer": "cn_ngram"}, "kw": {"type": "keyword", "ignore_above": 256}}}
    for keyword in ("entity_id", "ids", "name_keys", "trade_names", "pinyin", "district", "status", "industry",
                    "tax_rating", "customs_grade", "environment_rating", "flags", "name_sort"):
        assert props[keyword] == {"type": "keyword"}, keyword
    assert props["established"] == {"type": "date", "format": "strict_date"}
    assert props["registered_capital"] == {"type": "double"}
    assert props["variants"] == {"type": "object", "enabled": False}
    # Only components built into Elasticsearch (no smartcn/IK/pinyin/STConvert/ICU plugins).
    builtin = {"standard", "cjk_width", "lowercase", "cjk_bigram", "ngram", "custom"}
    defined = set(analysis["filter"]) | set(analysis["tokenizer"])
    for section in ("filter", "tokenizer", "analyzer"):
        assert {c["type"] for c in analysis[section].values()} <= builtin
    for analyzer in analysis["analyzer"].values():
        assert {analyzer["tokenizer"], *analyzer["filter"]} <= builtin | defined


def test_first_rebuild_bulk_loads_then_points_alias(es: tuple[ElasticBackend, FakeCluster],
                                                    documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    assert backend.live_version() is None and backend.count() == 0
    version = backend.rebuild(documents)
    assert version == f"{ALIAS}-v1"
    steps = [(r.method, r.path) for r in cluster.requests]
    create = steps.index(("PUT", f"/{ALIAS}-v1"))
    bulk = steps.index(("PUT", "/_bulk"))
    swap = steps.index(("POST", "/_aliases"))
    refresh = steps.index(("POST", f"/{ALIAS}-v1/_refresh"))
    assert create < bulk < refresh < swap
    # loaded without replicas or refreshes; the template's shard count is overridden by the setting
    assert cluster.requests[create].json() == {
        "settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}}
    }
    lines = cluster.requests[bulk].ndjson()
    assert len(lines) == 2 * len(documents)
    assert lines[0] == {"index": {"_index": f"{ALIAS}-v1", "_id": documents[0]["entity_id"]}}
    assert lines[1] == documents[0]
    settings = next(r for r in cluster.requests if r.path == f"/{ALIAS}-v1/_settings")
    assert settings.json() == {"index": {"number_of_replicas": 1, "refresh_interval": "1s"}}
    assert cluster.requests[swap].json() == {"actions": [{"add": {"index": f"{ALIAS}-v1", "alias": ALIAS,
                                                                  "is_write_index": True}}]}
    assert backend.live_version() == f"{ALIAS}-v1" and backend.count() == len(documents)


def test_rebuild_swaps_atomically_and_deletes_old_and_orphans(es: tuple[ElasticBackend, FakeCluster],
                                                              documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    backend.rebuild(documents)
    cluster.indices[f"{ALIAS}-v7"] = {}  # orphan of a crashed build
    cluster.requests.clear()
    assert backend.rebuild(documents[:5]) == f"{ALIAS}-v8"
    (swap,) = cluster.of("POST", "/_aliases")
    assert swap.json() == {"actions": [
        {"remove": {"index": f"{ALIAS}-v1", "alias": ALIAS}},
        {"add": {"index": f"{ALIAS}-v8", "alias": ALIAS, "is_write_index": True}},
    ]}
    (delete,) = cluster.of("DELETE")
    assert delete.path == f"/{ALIAS}-v1,{ALIAS}-v7"
    assert sorted(cluster.indices) == [f"{ALIAS}-v8"]
    assert backend.count() == 5


def test_failed_rebuild_keeps_old_version_and_removes_partial_index(es: tuple[ElasticBackend, FakeCluster],
                                                                   documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    backend.rebuild(documents)
    cluster.reject_ids.add(documents[3]["entity_id"])
    with pytest.raises(SearchBackendError, match="rejected"):
        backend.rebuild(documents)
    assert backend.live_version() == f"{ALIAS}-v1"
    assert sorted(cluster.indices) == [f"{ALIAS}-v1"]
    assert not [r for r in cluster.requests if r.path == "/_aliases"][1:]


def test_upsert_and_delete_send_bulk_to_alias(es: tuple[ElasticBackend, FakeCluster],
                                              documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    backend.rebuild(documents)
    cluster.requests.clear()
    changed = {**documents[0], "status": "注销"}
    assert backend.upsert([changed]) == 1
    (bulk,) = cluster.of("PUT", "/_bulk")
    assert bulk.params == {"refresh": "wait_for"}
    assert bulk.ndjson() == [{"index": {"_index": ALIAS, "_id": changed["entity_id"]}}, changed]
    cluster.requests.clear()
    assert backend.delete([documents[1]["entity_id"], "E-GONE", documents[1]["entity_id"]]) == 1
    (bulk,) = cluster.of("PUT", "/_bulk")
    assert bulk.ndjson() == [{"delete": {"_index": ALIAS, "_id": documents[1]["entity_id"]}},
                             {"delete": {"_index": ALIAS, "_id": "E-GONE"}}]
    assert backend.count() == len(documents) - 1


def test_bulk_is_streamed_in_chunks(es: tuple[ElasticBackend, FakeCluster], documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    many = ({**documents[i % len(documents)], "entity_id": f"E{i:05d}"} for i in range(1200))
    backend.rebuild(many)
    sizes = [len(r.ndjson()) // 2 for r in cluster.of("PUT", "/_bulk")]
    assert sorted(sizes) == [200, 500, 500]  # concurrent requests may arrive in any order
    assert backend.count() == 1200


def test_shards_replicas_and_bulk_size_come_from_settings(tmp_path: Any, documents: list[dict[str, Any]]) -> None:
    with fake_elasticsearch() as (url, cluster):
        backend = open_backend(Settings(var_dir=tmp_path, es_url=url, es_index_prefix=PREFIX, es_shards=6,
                                        es_replicas=2, es_bulk_chunk_size=4, es_bulk_threads=1))
        try:
            backend.rebuild(documents)
        finally:
            backend.close()
    (create,) = [r for r in cluster.requests if r.method == "PUT" and r.path == f"/{ALIAS}-v1"]
    assert create.json()["settings"]["index"] == {"number_of_shards": 6, "number_of_replicas": 0,
                                                  "refresh_interval": "-1"}
    (serve,) = cluster.of("PUT", "/_settings")
    assert serve.json() == {"index": {"number_of_replicas": 2, "refresh_interval": "1s"}}
    sizes = [len(r.ndjson()) // 2 for r in cluster.of("PUT", "/_bulk")]
    expected = [4] * (len(documents) // 4) + ([len(documents) % 4] if len(documents) % 4 else [])
    assert sizes == expected  # one thread: in stream order


@pytest.fixture
def bulk_concurrency(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Make the fake ES hold each bulk request a moment and record how many were in flight at once."""
    seen = {"now": 0, "max": 0}
    lock = threading.Lock()
    original = fake_es._Handler.do_PUT

    def slow_bulk(handler: Any) -> None:
        if not handler.path.split("?")[0].endswith("/_bulk"):
            return original(handler)
        with lock:
            seen["now"] += 1
            seen["max"] = max(seen["max"], seen["now"])
        time.sleep(0.05)
        with lock:  # before answering: the client cannot send its next request earlier
            seen["now"] -= 1
        return original(handler)

    monkeypatch.setattr(fake_es._Handler, "do_PUT", slow_bulk)
    return seen


@pytest.mark.parametrize("threads", [1, 4])
def test_bulk_requests_go_out_concurrently_up_to_the_thread_setting(
    tmp_path: Any, documents: list[dict[str, Any]], bulk_concurrency: dict[str, int], threads: int
) -> None:
    many = [{**documents[i % len(documents)], "entity_id": f"E{i:05d}"} for i in range(200)]
    with fake_elasticsearch() as (url, cluster):
        backend = open_backend(Settings(var_dir=tmp_path, es_url=url, es_index_prefix=PREFIX,
                                        es_bulk_chunk_size=10, es_bulk_threads=threads))
        try:
            backend.rebuild(many)
            assert backend.count() == 200
            assert backend.upsert([{**d, "status": "注销"} for d in many[:50]]) == 50
        finally:
            backend.close()
    assert len(cluster.of("PUT", "/_bulk")) == 20 + 5
    assert bulk_concurrency["max"] == threads
    stored = cluster.indices[f"{ALIAS}-v1"]
    assert {stored[f"E{i:05d}"]["status"] for i in range(50)} == {"注销"}


def test_a_rejected_chunk_among_concurrent_ones_fails_the_rebuild(
    tmp_path: Any, documents: list[dict[str, Any]], bulk_concurrency: dict[str, int]
) -> None:
    many = [{**documents[i % len(documents)], "entity_id": f"E{i:05d}"} for i in range(100)]
    with fake_elasticsearch() as (url, cluster):
        backend = open_backend(Settings(var_dir=tmp_path, es_url=url, es_index_prefix=PREFIX,
                                        es_bulk_chunk_size=10, es_bulk_threads=4))
        cluster.reject_ids.add("E00057")
        try:
            with pytest.raises(SearchBackendError, match="rejected") as err:
                backend.rebuild(many)
        finally:
            backend.close()
    assert err.value.context["rejected"] == 1
    assert cluster.indices == {} and not cluster.of("POST", "/_aliases")  # partial version removed, no swap


def test_upsert_before_any_build_creates_first_version(es: tuple[ElasticBackend, FakeCluster],
                                                       documents: list[dict[str, Any]]) -> None:
    backend, _ = es
    assert backend.upsert(documents[:3]) == 3
    assert backend.live_version() == f"{ALIAS}-v1" and backend.count() == 3
    assert backend.delete(["E-HUAXIN-TECH"]) == 1


def test_name_query_body(es: tuple[ElasticBackend, FakeCluster], documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    backend.rebuild(documents)
    backend.search(SearchQuery(q="深圳市華信科枝有限公司", filters=SearchFilters(district="南山区", flags=["red_list"])))
    (request,) = cluster.of("POST", "/_search")
    assert request.path == f"/{ALIAS}/_search"
    assert request.json() == {
        "query": {"bool": {
            "should": [
                {"match": {"names": {"query": "华信科枝", "minimum_should_match": "60%"}}},
                {"match": {"names.ngram": {"query": "华信科枝", "minimum_should_match": "60%"}}},
                {"terms": {"name_keys": ["深圳市华信科枝有限公司", "华信科枝有限公司"], "boost": 100.0}},
                {"fuzzy": {"name_keys": {"value": "华信科枝有限公司", "fuzziness": 1, "prefix_length": 0,
                                         "transpositions": True, "boost": 60.0}}},
                {"terms": {"trade_names": ["华信科枝有限公司", "华信科枝"], "boost": 40.0}},
            ],
            "minimum_should_match": 1,
            "filter": [{"term": {"district": "南山区"}}, {"term": {"flags": "red_list"}}],
        }},
        "sort": [{"_score": {"order": "desc"}}, {"entity_id": {"order": "asc"}}],
        "from": 0,
        "size": 100,
        "track_total_hits": True,
        "_source": {"excludes": ["names", "name_keys", "typo_keys"]},
    }


def test_identifier_query_body_is_a_boosted_term(es: tuple[ElasticBackend, FakeCluster],
                                                 documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    backend.rebuild(documents)
    backend.search(SearchQuery(q="１９２２０３８２－１"))
    (request,) = cluster.of("POST", "/_search")
    assert request.json()["query"] == {"bool": {
        "should": [{"term": {"ids": {"value": "192203821", "boost": 1000.0}}}], "minimum_should_match": 1}}


def test_filter_only_sorted_page_body(es: tuple[ElasticBackend, FakeCluster], documents: list[dict[str, Any]]) -> None:
    backend, cluster = es
    backend.rebuild(documents)
    backend.search(SearchQuery(filters=SearchFilters(status="存续", tax_rating="A"), sort="-capital", page=3, size=20))
    (request,) = cluster.of("POST", "/_search")
    assert request.json() == {
        "query": {"bool": {"filter": [{"term": {"status": "存续"}}, {"term": {"tax_rating": "A"}}]}},
        "sort": [{"registered_capital": {"order": "desc", "missing": "_last"}}, {"entity_id": {"order": "asc"}}],
        "from": 40,
        "size": 20,
        "track_total_hits": True,
        "_source": {"excludes": ["names", "name_keys", "typo_keys"]},
    }


def test_search_response_is_rescored_and_mapped(es: tuple[ElasticBackend, FakeCluster],
                                                documents: list[dict[str, Any]]) -> None:
    backend, _ = es
    backend.rebuild(documents)
    # The fake answers every search with all documents at score 1.0, in index order:
    # ranking must come from the shared Python re-scoring.
    result = backend.search(SearchQuery(q="華信科技", size=2))
    assert result.total == len(documents)
    assert [h.entity_id for h in result.hits][0] == "E-HUAXIN-TECH"
    top = result.hits[0]
    assert top.highlight == "深圳市<em>华信科技</em>有限公司" and top.matched == "name"
    assert top.district == "南山区" and top.flags == ["red_list"] and top.established == "2012-03-15"


def test_search_without_alias_is_empty(es: tuple[ElasticBackend, FakeCluster]) -> None:
    backend, _ = es
    result = backend.search(SearchQuery(q="华信"))
    assert result.total == 0 and result.hits == []


def test_cluster_errors_become_typed_errors(tmp_path: Any) -> None:
    backend = open_backend(Settings(var_dir=tmp_path, es_url="http://127.0.0.1:9", es_index_prefix=PREFIX))
    with pytest.raises(SearchBackendError) as err:
        backend.search(SearchQuery(q="华信"))
    assert err.value.context["alias"] == ALIAS
