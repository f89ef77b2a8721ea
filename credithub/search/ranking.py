"""Final ranking, "what matched" and highlighting, shared by both backends.

Engines only retrieve candidates (bigram BM25 favours short names, see
docs/decisions/search.md); precision comes from re-scoring the top candidates in
Python with rapidfuzz against the folded name variants stored in each document.
"""

from __future__ import annotations

import html
from typing import Any, NamedTuple

from rapidfuzz import fuzz

from credithub.search.analysis import QueryPlan, bigrams, fold_with_offsets, strip_form
from credithub.search.base import SearchHit, SearchQuery, SearchResult

# Candidates re-scored per query: large enough for typo/variant matches that BM25 ranks
# low, small enough to stay well inside the 30 ms p95 budget. Constant so that pages of
# one query never overlap (every page re-ranks the same window).
RESCORE_WINDOW = 100
# Deepest result reachable by paging (Elasticsearch's default index.max_result_window);
# pages past it come back empty with the true total, on both backends.
MAX_RESULT_WINDOW = 10_000
IDENTIFIER_SCORE = 200.0
PINYIN_SCORE = 70.0
# A current name beats the same spelling among former names or department spellings.
CATEGORY_WEIGHTS = {"name": 1.0, "other_name": 0.97, "former_name": 0.95, "trade_name": 0.9}


class Candidate(NamedTuple):
    source: dict[str, Any]
    engine_score: float


class Scored(NamedTuple):
    candidate: Candidate
    score: float
    matched: str | None


def _similarity(plan: QueryPlan, full: list[str], core: list[str]) -> float:
    best = 0.0
    q_core_bare = strip_form(plan.core)
    for value in full:
        best = max(best, fuzz.ratio(plan.folded, value))
    for value in core:
        best = max(best, fuzz.ratio(plan.core, value), fuzz.ratio(q_core_bare, strip_form(value)))
    return best


def match_score(plan: QueryPlan, source: dict[str, Any]) -> tuple[float, str | None]:
    """Score 0–100 for names (weighted by category), higher for identifiers; plus what matched."""
    if plan.identifiers and not set(plan.identifiers).isdisjoint(source.get("ids", ())):
        return IDENTIFIER_SCORE, "identifier"
    best, matched = 0.0, None
    if plan.wants_names:
        variants = source.get("variants") or {}
        for category, weight in CATEGORY_WEIGHTS.items():
            v = variants.get(category) or {}
            score = weight * _similarity(plan, v.get("full", []), v.get("core", []))
            if score > best:
                best, matched = score, category
    if plan.pinyin and plan.pinyin in source.get("pinyin", ()) and PINYIN_SCORE > best:
        best, matched = PINYIN_SCORE, "pinyin"
    return round(best, 3), matched


def highlight(name: str, plan: QueryPlan) -> str | None:
    """The display name, HTML-escaped, with the parts sharing bigrams with the query in <em>…</em>."""
    if not plan.wants_names or not name:
        return None
    folded, origin = fold_with_offsets(name)
    grams = set(bigrams(plan.folded)) | set(plan.bigrams)
    marked: set[int] = set()
    if grams:
        for i in range(len(folded) - 1):
            if folded[i : i + 2] in grams:
                marked.update((origin[i], origin[i + 1]))
    elif len(plan.folded) == 1:
        marked.update(origin[i] for i, ch in enumerate(folded) if ch == plan.folded)
    if not marked:
        return None
    parts: list[str] = []
    i = 0
    while i < len(name):
        inside = i in marked
        j = i
        while j < len(name) and (j in marked) == inside:
            j += 1
        segment = html.escape(name[i:j], quote=True)
        parts.append(f"<em>{segment}</em>" if inside else segment)
        i = j
    return "".join(parts)


def page_slice(query: SearchQuery) -> range:
    """Positions (in the fetched candidate list) a backend must load sources for."""
    start = (query.page - 1) * query.size
    return range(start, start + query.size)


def rerank(plan: QueryPlan, candidates: list[Candidate]) -> list[Scored]:
    """Re-score the top window and order it; the tail keeps the engine's order
    (tail candidates off the requested page may carry an empty source)."""
    window = [Scored(c, *match_score(plan, c.source)) for c in candidates[:RESCORE_WINDOW]]
    window.sort(key=lambda s: (-s.score, -s.candidate.engine_score, s.candidate.source.get("entity_id", "")))
    tail = [Scored(c, 0.0, None) for c in candidates[RESCORE_WINDOW:]]
    return window + tail


def to_hit(plan: QueryPlan, scored: Scored) -> SearchHit:
    src = scored.candidate.source
    score, matched = scored.score, scored.matched
    if matched is None and not plan.is_empty:
        score, matched = match_score(plan, src)
    name = src.get("name") or ""
    return SearchHit(
        entity_id=src["entity_id"],
        name=name,
        score=score if not plan.is_empty else scored.candidate.engine_score,
        highlight=highlight(name, plan),
        matched=matched,
        uscc=src.get("uscc"),
        status=src.get("status"),
        district=src.get("district"),
        industry=src.get("industry"),
        established=src.get("established"),
        tax_rating=src.get("tax_rating"),
        flags=list(src.get("flags") or []),
    )


def uses_rescoring(plan: QueryPlan, query: SearchQuery) -> bool:
    return query.sort == "relevance" and not plan.is_empty


def fetch_limit(plan: QueryPlan, query: SearchQuery) -> tuple[int, int]:
    """(offset, limit) to ask the engine for: the re-scored window, or just the page."""
    end = min(query.page * query.size, MAX_RESULT_WINDOW)
    if end <= (query.page - 1) * query.size:
        return 0, 0
    if uses_rescoring(plan, query):
        return 0, max(RESCORE_WINDOW, end)
    return end - query.size, query.size


def assemble(plan: QueryPlan, query: SearchQuery, candidates: list[Candidate], total: int) -> SearchResult:
    """Turn engine candidates (as fetched per `fetch_limit`) into the requested page."""
    if (query.page - 1) * query.size >= MAX_RESULT_WINDOW:
        page: list[Scored] = []
    elif uses_rescoring(plan, query):
        ordered = rerank(plan, candidates)
        start = (query.page - 1) * query.size
        page = ordered[start : start + query.size]
    else:
        page = [Scored(c, 0.0, None) for c in candidates]
    return SearchResult(total=total, page=query.page, size=query.size, hits=[to_hit(plan, s) for s in page])
