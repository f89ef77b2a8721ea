"""Final ranking, "what matched" and highlighting, shared by both backends.

Engines only retrieve candidates (bigram BM25 favours short names, see
docs/decisions/search.md); precision comes from re-scoring the top candidates in
Python with rapidfuzz against the folded name variants stored in each document.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

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


_CATEGORIES = tuple(CATEGORY_WEIGHTS)
_SEP_PART, _SEP_ENTRY, _SEP_ITEM = "\x1d", "\x1e", "\x1f"
_WEIGHT_OF = {str(i): (CATEGORY_WEIGHTS[c], c) for i, c in enumerate(_CATEGORIES)}


class MatchData(NamedTuple):
    """What re-scoring needs from one document, and nothing else: decoding the whole stored
    document for each of the ~100 candidates of a name search cost more than the search itself."""

    entity_id: str
    ids: tuple[str, ...]
    pinyin: tuple[str, ...]
    # "<category index><kind index><text>", in CATEGORY_WEIGHTS order so ties go to the earlier
    # category; kept as one string each so decoding is a single split.
    entries: tuple[str, ...]

    @classmethod
    def from_source(cls, source: dict[str, Any]) -> MatchData:
        variants = source.get("variants") or {}
        entries: list[str] = []
        for c, category in enumerate(_CATEGORIES):
            v = variants.get(category) or {}
            core = v.get("core", [])
            # Documents older than DOCUMENT_VERSION 2 carry no "bare" list: derive it.
            bare = v["bare"] if "bare" in v else [strip_form(x) for x in core]
            # Kind index k picks the query string it is compared with (`_query_strings`): 0 full name ↔
            # folded query, 1 region-stripped core ↔ query core, 2 core without its form ↔ the same of the query.
            for k, values in enumerate((v.get("full", []), core, bare)):
                entries.extend(f"{c}{k}{text}" for text in values if text)
        return cls(source.get("entity_id", ""), tuple(source.get("ids") or ()),
                   tuple(source.get("pinyin") or ()), tuple(entries))

    def encode(self) -> bytes:
        return _SEP_PART.join((self.entity_id, _SEP_ITEM.join(self.ids), _SEP_ITEM.join(self.pinyin),
                               _SEP_ENTRY.join(self.entries))).encode()

    @classmethod
    def decode(cls, data: bytes) -> MatchData:
        entity_id, ids, pinyin, entries = data.decode().split(_SEP_PART)
        return cls(entity_id, tuple(ids.split(_SEP_ITEM)) if ids else (),
                   tuple(pinyin.split(_SEP_ITEM)) if pinyin else (),
                   tuple(entries.split(_SEP_ENTRY)) if entries else ())


class Candidate(NamedTuple):
    match: MatchData
    engine_score: float
    # How the backend gets the display document for a hit on the page (a dict, or an engine handle).
    ref: Any


SourceLoader = Callable[[Candidate], dict[str, Any]]


def source_itself(candidate: Candidate) -> dict[str, Any]:
    """Loader for engines that return the whole document with each candidate (Elasticsearch)."""
    return candidate.ref


class Scored(NamedTuple):
    candidate: Candidate
    score: float
    matched: str | None


def _query_strings(plan: QueryPlan) -> tuple[str, str, str]:
    return plan.folded, plan.core, strip_form(plan.core)


def _pick(plan: QueryPlan, data: MatchData, scores: list[float]) -> tuple[float, str | None]:
    """Best weighted name score of one candidate (`scores` pairs with `data.entries`; empty when names
    are not compared), then identifiers and pinyin."""
    if plan.identifiers and not set(plan.identifiers).isdisjoint(data.ids):
        return IDENTIFIER_SCORE, "identifier"
    best, matched = 0.0, None
    for entry, ratio in zip(data.entries, scores, strict=False):  # no scores when names are not compared
        weight, category = _WEIGHT_OF[entry[0]]
        score = weight * ratio
        if score > best:
            best, matched = score, category
    if plan.pinyin and plan.pinyin in data.pinyin and PINYIN_SCORE > best:
        best, matched = PINYIN_SCORE, "pinyin"
    return round(best, 3), matched


def match_scores(plan: QueryPlan, batch: list[MatchData]) -> list[tuple[float, str | None]]:
    """match_score for many candidates with one call into rapidfuzz for all their name variants."""
    scores: list[float] = []
    if plan.wants_names:
        queries = dict(zip("012", _query_strings(plan), strict=True))
        pairs_q = [queries[entry[1]] for data in batch for entry in data.entries]
        if pairs_q:
            pairs_v = [entry[2:] for data in batch for entry in data.entries]
            scores = cpdist(pairs_q, pairs_v, scorer=fuzz.ratio, dtype=np.float64).tolist()
    out: list[tuple[float, str | None]] = []
    offset = 0
    for data in batch:
        end = offset + len(data.entries) if scores else offset
        out.append(_pick(plan, data, scores[offset:end]))
        offset = end
    return out


def match_score(plan: QueryPlan, data: MatchData) -> tuple[float, str | None]:
    """Score 0–100 for names (weighted by category), higher for identifiers; plus what matched."""
    return match_scores(plan, [data])[0]


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
    """Re-score the top window and order it; the tail keeps the engine's order."""
    window = candidates[:RESCORE_WINDOW]
    scored = [Scored(c, *sm) for c, sm in zip(window, match_scores(plan, [c.match for c in window]), strict=True)]
    scored.sort(key=lambda s: (-s.score, -s.candidate.engine_score, s.candidate.match.entity_id))
    tail = [Scored(c, 0.0, None) for c in candidates[RESCORE_WINDOW:]]
    return scored + tail


def to_hit(plan: QueryPlan, scored: Scored, src: dict[str, Any]) -> SearchHit:
    score, matched = scored.score, scored.matched
    if matched is None and not plan.is_empty:
        score, matched = match_score(plan, scored.candidate.match)
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


def assemble(plan: QueryPlan, query: SearchQuery, candidates: list[Candidate], total: int,
             load: SourceLoader = source_itself) -> SearchResult:
    """Turn engine candidates (as fetched per `fetch_limit`) into the requested page; `load`
    gives the display document of a hit, called only for the hits on the page."""
    if (query.page - 1) * query.size >= MAX_RESULT_WINDOW:
        page: list[Scored] = []
    elif uses_rescoring(plan, query):
        ordered = rerank(plan, candidates)
        start = (query.page - 1) * query.size
        page = ordered[start : start + query.size]
    else:
        page = [Scored(c, 0.0, None) for c in candidates]
    return SearchResult(total=total, page=query.page, size=query.size,
                        hits=[to_hit(plan, s, load(s.candidate)) for s in page])
