"""Re-scoring: the compact match data, batch scoring against a plain reference, old indexes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tantivy
from rapidfuzz import fuzz

from credithub.search.analysis import analyse_query, strip_form
from credithub.search.base import SearchQuery
from credithub.search.documents import profile_document
from credithub.search.embedded import LIVE_FILE, EmbeddedBackend
from credithub.search.ranking import CATEGORY_WEIGHTS, IDENTIFIER_SCORE, MatchData, match_score, match_scores
from tests.search.conftest import make_profile


def _docs() -> list[dict[str, Any]]:
    return [
        profile_document(make_profile("E1", "深圳市华信科技有限公司", "10000001", former=["深圳市华信网络有限公司"])),
        profile_document(make_profile("E2", "华讯科技（深圳）有限責任公司", "10000002", other=["华讯科技深圳公司"])),
        profile_document(make_profile("E3", "深圳市华信科技有限公司南山分公司", "10000003")),
        profile_document(make_profile("E4", "深圳市绿源环保科技有限公司", "10000004", with_org_code=False)),
    ]


def _reference(query: str, doc: dict[str, Any]) -> tuple[float, str | None]:
    """The scoring rule written out one string at a time, straight from the stored variants."""
    plan = analyse_query(query)
    if plan.identifiers and set(plan.identifiers) & set(doc["ids"]):
        return IDENTIFIER_SCORE, "identifier"
    best, matched = 0.0, None
    for category, weight in CATEGORY_WEIGHTS.items():
        v = doc["variants"].get(category) or {}
        sim = max([fuzz.ratio(plan.folded, x) for x in v.get("full", [])]
                  + [max(fuzz.ratio(plan.core, x), fuzz.ratio(strip_form(plan.core), strip_form(x)))
                     for x in v.get("core", [])] + [0.0])
        if weight * sim > best:
            best, matched = weight * sim, category
    if plan.pinyin and plan.pinyin in doc["pinyin"] and 70.0 > best:
        best, matched = 70.0, "pinyin"
    return round(best, 3), matched


@pytest.mark.parametrize("query", ["深圳市华信科技有限公司", "华信科技", "華信網絡", "华讯科技(深圳)有限公司", "华信",
                                   "hx", "绿源环保", "深圳市华信科技有限公司南山分公司", "完全无关的名字"])
def test_batch_scores_equal_the_one_by_one_rule(query: str) -> None:
    docs = _docs()
    plan = analyse_query(query)
    got = match_scores(plan, [MatchData.from_source(d) for d in docs])
    assert got == [_reference(query, d) for d in docs]
    assert match_score(plan, MatchData.from_source(docs[0])) == got[0]


def test_identifier_query_scores_the_identifier() -> None:
    doc = _docs()[0]
    uscc = doc["uscc"]
    assert match_score(analyse_query(uscc.lower()), MatchData.from_source(doc)) == (IDENTIFIER_SCORE, "identifier")
    assert match_score(analyse_query(uscc.lower()), MatchData.from_source(_docs()[1]))[1] is None


def test_match_data_survives_encoding() -> None:
    for doc in _docs():
        data = MatchData.from_source(doc)
        assert MatchData.decode(data.encode()) == data
        assert data.entity_id == doc["entity_id"] and data.entries
    empty = MatchData("E9", (), (), ())
    assert MatchData.decode(empty.encode()) == empty


def test_documents_without_bare_variants_score_the_same() -> None:
    # Elasticsearch indexes built before DOCUMENT_VERSION 2 hold no "bare" lists.
    for doc in _docs():
        old = {**doc, "variants": {c: {k: v for k, v in vs.items() if k != "bare"} for c, vs in doc["variants"].items()}}
        assert MatchData.from_source(old) == MatchData.from_source(doc)


def test_an_index_from_an_older_release_asks_for_a_rebuild(tmp_path: Path) -> None:
    old = tantivy.SchemaBuilder()
    old.add_text_field("entity_id", stored=True, tokenizer_name="raw")
    (tmp_path / "v-20200101T000000000000Z").mkdir()
    tantivy.Index(old.build(), path=str(tmp_path / "v-20200101T000000000000Z"))
    (tmp_path / LIVE_FILE).write_text("v-20200101T000000000000Z")
    backend = EmbeddedBackend(tmp_path)
    assert backend.needs_rebuild()
    backend.rebuild(_docs())
    assert not backend.needs_rebuild()
    assert backend.search(SearchQuery(q="华信科技")).hits[0].entity_id == "E1"
