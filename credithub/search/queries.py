"""Elasticsearch request bodies as plain dicts, built from typed inputs (unit-testable JSON).

Only analyzers built into Elasticsearch are used (no smartcn/IK/pinyin/STConvert
plugins): traditional → simplified, region stripping and pinyin initials are done in
Python at index time (credithub.search.analysis), so the cluster stays vanilla.
"""

from __future__ import annotations

from typing import Any

from credithub.search.analysis import FUZZY_DISTANCE, QueryPlan
from credithub.search.base import SearchQuery

FILTER_FIELDS = ("district", "status", "industry", "tax_rating", "customs_grade", "environment_rating")
KEYWORD_FIELDS = ("entity_id", "ids", "name_keys", "trade_names", "pinyin", "flags", "name_sort", *FILTER_FIELDS)
SORT_FIELDS = {"name": "name_sort", "established": "established", "capital": "registered_capital"}
# Same engine-side boost ladder as the embedded backend (see embedded.py for the reasoning).
BOOST_IDENTIFIER = 1000.0
BOOST_EXACT_NAME = 100.0
BOOST_FUZZY = 60.0
BOOST_TRADE_NAME = 40.0
BOOST_PINYIN = 10.0
# Share of query bigrams (or 2–3-grams) a candidate must contain, as yente does with 70% on trigrams.
MINIMUM_SHOULD_MATCH = "60%"
# Fields only used for matching: no need to ship them back with every hit.
SOURCE_EXCLUDES = ["names", "name_keys", "typo_keys"]


def alias_name(prefix: str) -> str:
    return f"{prefix}-profiles"


def index_name(prefix: str, version: int) -> str:
    return f"{alias_name(prefix)}-v{version}"


def index_template(prefix: str) -> dict[str, Any]:
    """Body of PUT _index_template/{prefix}-profiles: settings and mappings for every version."""
    name_subfields = {
        "ngram": {"type": "text", "analyzer": "cn_ngram"},
        "kw": {"type": "keyword", "ignore_above": 256},
    }
    properties: dict[str, Any] = {field: {"type": "keyword"} for field in KEYWORD_FIELDS}
    properties.update(
        {
            "name": {"type": "text", "analyzer": "cn_name", "fields": name_subfields},
            "names": {"type": "text", "analyzer": "cn_name", "fields": name_subfields},
            "established": {"type": "date", "format": "strict_date"},
            "registered_capital": {"type": "double"},
            "variants": {"type": "object", "enabled": False},
        }
    )
    return {
        "index_patterns": [f"{alias_name(prefix)}-v*"],
        "priority": 200,
        "template": {
            "settings": {
                "index": {
                    "number_of_shards": 1,
                    # ngram 2–3: the gap of 1 is the default limit, stated so a wider gram fails loudly here.
                    "max_ngram_diff": 1,
                },
                "analysis": {
                    "filter": {
                        # Bigrams for Han characters plus unigrams so 1-character queries still match.
                        "cn_bigram": {"type": "cjk_bigram", "output_unigrams": True},
                    },
                    "tokenizer": {
                        "cn_ngram": {"type": "ngram", "min_gram": 2, "max_gram": 3, "token_chars": ["letter", "digit"]},
                    },
                    "analyzer": {
                        "cn_name": {"type": "custom", "tokenizer": "standard",
                                    "filter": ["cjk_width", "lowercase", "cn_bigram"]},
                        "cn_ngram": {"type": "custom", "tokenizer": "cn_ngram", "filter": ["cjk_width", "lowercase"]},
                    },
                },
            },
            "mappings": {
                # Display-only fields (uscc, former_names…) stay in _source without being indexed.
                "dynamic": False,
                "properties": properties,
            },
        },
    }


def _filters(query: SearchQuery) -> list[dict[str, Any]]:
    f = query.filters
    clauses: list[dict[str, Any]] = [{"term": {field: getattr(f, field)}} for field in FILTER_FIELDS if getattr(f, field)]
    clauses.extend({"term": {"flags": flag}} for flag in f.flags)
    return clauses


def _should(plan: QueryPlan) -> list[dict[str, Any]]:
    should: list[dict[str, Any]] = [
        {"term": {"ids": {"value": key, "boost": BOOST_IDENTIFIER}}} for key in plan.identifiers
    ]
    if plan.wants_names and plan.bigrams:
        text = plan.match_text
        should.append({"match": {"names": {"query": text, "minimum_should_match": MINIMUM_SHOULD_MATCH}}})
        should.append({"match": {"names.ngram": {"query": text, "minimum_should_match": MINIMUM_SHOULD_MATCH}}})
    if plan.wants_names:
        keys = list(dict.fromkeys([plan.folded, plan.core]))
        should.append({"terms": {"name_keys": keys, "boost": BOOST_EXACT_NAME}})
        if plan.fuzzy_key:
            should.append(
                {"fuzzy": {"name_keys": {"value": plan.fuzzy_key, "fuzziness": FUZZY_DISTANCE, "prefix_length": 0,
                                         "transpositions": True, "boost": BOOST_FUZZY}}}
            )
        should.append({"terms": {"trade_names": plan.trade_keys, "boost": BOOST_TRADE_NAME}})
    if plan.pinyin:
        should.append({"term": {"pinyin": {"value": plan.pinyin, "boost": BOOST_PINYIN}}})
    return should


def _sort(plan: QueryPlan, query: SearchQuery) -> list[dict[str, Any]]:
    tie_break = {"entity_id": {"order": "asc"}}
    if query.sort == "relevance":
        if plan.is_empty:
            return [{"name_sort": {"order": "asc"}}, tie_break]
        return [{"_score": {"order": "desc"}}, tie_break]
    field = SORT_FIELDS[query.sort.lstrip("-")]
    order = "desc" if query.sort.startswith("-") else "asc"
    return [{field: {"order": order, "missing": "_last"}}, tie_break]


def search_body(plan: QueryPlan, query: SearchQuery, offset: int, limit: int) -> dict[str, Any]:
    """Body of POST {alias}/_search for one analysed query and page window."""
    filters = _filters(query)
    if plan.is_empty:
        bool_query: dict[str, Any] = {"filter": filters} if filters else {"must": [{"match_all": {}}]}
    else:
        bool_query = {"should": _should(plan), "minimum_should_match": 1}
        if filters:
            bool_query["filter"] = filters
    return {
        "query": {"bool": bool_query},
        "sort": _sort(plan, query),
        "from": offset,
        "size": limit,
        "track_total_hits": True,
        "_source": {"excludes": SOURCE_EXCLUDES},
    }


def bulk_actions(index: str, documents: Any) -> Any:
    """streaming_bulk actions: index (create or replace) each document under its entity_id."""
    for doc in documents:
        yield {"_op_type": "index", "_index": index, "_id": doc["entity_id"], "_source": doc}


def delete_actions(index: str, entity_ids: Any) -> Any:
    for entity_id in entity_ids:
        yield {"_op_type": "delete", "_index": index, "_id": entity_id}


def alias_swap_actions(alias: str, new_index: str, old_indices: list[str]) -> list[dict[str, Any]]:
    """One atomic POST _aliases: point the alias at the new index and off the old ones."""
    actions: list[dict[str, Any]] = [{"remove": {"index": old, "alias": alias}} for old in old_indices]
    actions.append({"add": {"index": new_index, "alias": alias, "is_write_index": True}})
    return actions
