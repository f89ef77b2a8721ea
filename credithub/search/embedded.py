"""Embedded search backend on tantivy (one machine, no server).

Layout under settings.index_dir:
    v-<UTC timestamp>/   one complete tantivy index per build
    LIVE                 name of the version served; replaced atomically (os.replace)
    write.lock           advisory lock serialising writers across processes

Readers (any number of API processes) open the version named in LIVE and follow it
when it changes; a rebuild writes a new version and swaps LIVE, so readers keep
answering from the old version until the swap. Writers (the pipeline) hold
write.lock, and tantivy's own lock guarantees one IndexWriter per version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import tantivy

from credithub.errors import SearchBackendError
from credithub.search.analysis import QueryPlan, analyse_query
from credithub.search.base import SearchQuery, SearchResult
from credithub.search.ranking import Candidate, MatchData, assemble, fetch_limit

LIVE_FILE = "LIVE"
LOCK_FILE = "write.lock"
VERSION_PREFIX = "v-"
BIGRAM_TOKENIZER = "cn_bigram"
# Writer heap: tantivy needs ≥15 MB per thread; 256 MB over 2 threads measured best for bulk builds.
BUILD_HEAP_BYTES = 256_000_000
UPSERT_HEAP_BYTES = 50_000_000
WRITER_THREADS = 2
# Versions kept besides the live one, so a reader that read LIVE just before a swap can still open it.
KEEP_PREVIOUS_VERSIONS = 1
# How often readers look for writes committed by other processes (the writer's own
# backend object reloads explicitly after each commit, so it reads its own writes).
RELOAD_INTERVAL_S = 1.0
WRITE_LOCK_TIMEOUT_S = 60.0

KEYWORD_FIELDS = ("entity_id", "ids", "name_keys", "trade_names", "typo_keys", "pinyin", "district", "status", "industry",
                  "tax_rating", "customs_grade", "environment_rating", "flags")
# Matching-only fields are indexed but not stored. Re-scoring reads the compact "_match" field
# (ranking.MatchData); the display JSON in "_source" is decoded only for the hits on the page.
INDEX_ONLY_FIELDS = frozenset({"names", "name_keys", "typo_keys", "variants"})
SORT_FIELDS = {"name": "name_sort", "established": "established", "capital": "registered_capital"}
# Engine-side boosts only decide which candidates reach the Python re-scoring window:
# identifiers first, then exact and one-typo names (fuzzy scores are constant, so the
# boost must beat a BM25 sum over many shared bigrams), then trade names and pinyin.
BOOST_IDENTIFIER = 1000.0
BOOST_EXACT_NAME = 100.0
BOOST_FUZZY = 60.0
BOOST_TRADE_NAME = 40.0
BOOST_PINYIN = 10.0
# A query bigram found in more than this share of all names (and more than the floor, so small
# indexes are never pruned) is too common to select candidates by; see `_bigram_clause`.
COMMON_BIGRAM_SHARE = 0.01
COMMON_BIGRAM_MIN_DOCS = 5000


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for field in KEYWORD_FIELDS:
        sb.add_text_field(field, stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("names", stored=False, tokenizer_name=BIGRAM_TOKENIZER, index_option="freq")
    sb.add_text_field("name_sort", stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("established", indexed=True, fast=True)
    sb.add_float_field("registered_capital", indexed=True, fast=True)
    sb.add_bytes_field("_source", stored=True)
    sb.add_bytes_field("_match", stored=True)
    return sb.build()


def _bigram_analyzer() -> tantivy.TextAnalyzer:
    # Documents and query terms are folded in Python (analysis.fold), so no filters here.
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(2, 2, False)).build()


def _date_int(value: str | None) -> int | None:
    return int(value.replace("-", "")) if value else None


def _to_tantivy(doc: dict[str, Any]) -> tantivy.Document:
    out = tantivy.Document()
    for field in KEYWORD_FIELDS:
        value = doc.get(field)
        for v in value if isinstance(value, list) else [value]:
            if v:
                out.add_text(field, str(v))
    for name in doc.get("names") or []:
        out.add_text("names", name)
    out.add_text("name_sort", doc.get("name_sort") or "")
    established = _date_int(doc.get("established"))
    if established is not None:
        out.add_integer("established", established)
    capital = doc.get("registered_capital")
    if capital is not None:
        out.add_float("registered_capital", float(capital))
    stored = {k: v for k, v in doc.items() if k not in INDEX_ONLY_FIELDS}
    out.add_bytes("_source", json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode())
    out.add_bytes("_match", MatchData.from_source(doc).encode())
    return out


def _load_source(candidate: Candidate) -> dict[str, Any]:
    return json.loads(candidate.ref.get_first("_source"))


def _new_version_name() -> str:
    return VERSION_PREFIX + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


class EmbeddedBackend:
    """tantivy-backed SearchBackend. Cheap to construct; opens the index lazily."""

    def __init__(self, index_dir: Path, *, reload_interval_s: float = RELOAD_INTERVAL_S) -> None:
        self.index_dir = Path(index_dir)
        self._schema = _schema()
        self._reload_interval_s = reload_interval_s
        self._guard = threading.Lock()
        self._version: str | None = None
        self._index: tantivy.Index | None = None
        self._last_check = 0.0

    # ---- versions and readers -------------------------------------------------
    def live_version(self) -> str | None:
        try:
            name = (self.index_dir / LIVE_FILE).read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def _open(self, version: str) -> tantivy.Index:
        index = tantivy.Index(self._schema, path=str(self.index_dir / version), reuse=True)
        index.register_tokenizer(BIGRAM_TOKENIZER, _bigram_analyzer())
        index.config_reader(reload_policy="Manual")
        return index

    def _reader(self) -> tantivy.Index | None:
        """The live index, following LIVE swaps and other processes' commits."""
        now = time.monotonic()
        with self._guard:
            if self._index is not None and now - self._last_check < self._reload_interval_s:
                return self._index
            for attempt in range(2):
                version = self.live_version()
                try:
                    if version is None:
                        self._index, self._version = None, None
                    elif version != self._version or self._index is None:
                        self._index, self._version = self._open(version), version
                    else:
                        self._index.reload()
                    break
                except (OSError, ValueError) as exc:
                    # LIVE moved on between reading it and opening the version: read it again once.
                    if attempt:
                        raise SearchBackendError("cannot open the live search index", version=version,
                                                 reason=str(exc)) from exc
            self._last_check = now
            return self._index

    def _invalidate(self) -> None:
        with self._guard:
            self._last_check = 0.0
            if self._index is not None and self._version == self.live_version():
                self._index.reload()
                self._last_check = time.monotonic()

    # ---- writing ----------------------------------------------------------------
    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / LOCK_FILE, "a+") as handle:
            deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_S
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SearchBackendError(
                            "search index is locked by another writer", index_dir=str(self.index_dir)
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _swap_live(self, version: str) -> None:
        tmp = self.index_dir / f"{LIVE_FILE}.{os.getpid()}.tmp"
        tmp.write_text(version)
        os.replace(tmp, self.index_dir / LIVE_FILE)

    def _cleanup(self) -> list[str]:
        """Delete versions that are neither live nor among the newest previous ones (incl. failed builds)."""
        live = self.live_version()
        versions = sorted(p.name for p in self.index_dir.iterdir() if p.is_dir() and p.name.startswith(VERSION_PREFIX))
        older = [v for v in versions if live is not None and v < live]
        keep = {live, *older[len(older) - KEEP_PREVIOUS_VERSIONS :]} if older else {live}
        removed = [v for v in versions if v not in keep]
        for v in removed:
            shutil.rmtree(self.index_dir / v, ignore_errors=True)
        return removed

    def _build(self, documents: Iterable[dict[str, Any]]) -> tuple[str, int]:
        version = _new_version_name()
        path = self.index_dir / version
        path.mkdir(parents=True)
        writer: tantivy.IndexWriter | None = None
        try:
            index = self._open(version)
            writer = index.writer(heap_size=BUILD_HEAP_BYTES, num_threads=WRITER_THREADS)
            n = 0
            for doc in documents:
                writer.add_document(_to_tantivy(doc))
                n += 1
            writer.commit()
            writer.wait_merging_threads()
            writer = None
        except BaseException:
            if writer is not None:
                # Stop the writer's threads before deleting its files, or they would recreate some.
                with contextlib.suppress(Exception):
                    writer.rollback()
                with contextlib.suppress(Exception):
                    writer.wait_merging_threads()
            del writer
            shutil.rmtree(path, ignore_errors=True)
            raise
        return version, n

    def rebuild(self, documents: Iterable[dict[str, Any]]) -> str:
        with self._write_lock():
            version, _ = self._build(documents)
            self._swap_live(version)
            self._cleanup()
        self._invalidate()
        return version

    def _write(self, apply: Any) -> int:
        with self._write_lock():
            version = self.live_version()
            if version is None:
                return -1
            index = self._open(version)
            try:
                writer = index.writer(heap_size=UPSERT_HEAP_BYTES, num_threads=1)
            except ValueError as exc:
                raise SearchBackendError("search index writer is busy", version=version, reason=str(exc)) from exc
            try:
                n = apply(writer)
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
        self._invalidate()
        return n

    def upsert(self, documents: Iterable[dict[str, Any]]) -> int:
        docs = list(documents)
        if not docs:
            return 0

        def apply(writer: tantivy.IndexWriter) -> int:
            for doc in docs:
                writer.delete_documents_by_term("entity_id", doc["entity_id"])
                writer.add_document(_to_tantivy(doc))
            return len(docs)

        n = self._write(apply)
        if n < 0:  # first publication: no live index yet
            self.rebuild(docs)
            n = len(docs)
        return n

    def delete(self, entity_ids: Sequence[str]) -> int:
        ids = [e for e in dict.fromkeys(entity_ids) if e]
        if not ids:
            return 0
        present = {e for e in ids if self._exists(e)}

        def apply(writer: tantivy.IndexWriter) -> int:
            for entity_id in ids:
                writer.delete_documents_by_term("entity_id", entity_id)
            return len(present)

        return max(self._write(apply), 0)

    def _exists(self, entity_id: str) -> bool:
        index = self._reader()
        if index is None:
            return False
        query = tantivy.Query.term_query(self._schema, "entity_id", entity_id)
        return index.searcher().search(query, limit=1, count=True).count > 0

    def needs_rebuild(self) -> bool:
        version = self.live_version()
        if version is None:
            return False
        try:
            self._open(version)
        except ValueError as exc:
            # tantivy refuses to open an index whose schema differs (e.g. built before "_match").
            return "schema does not match" in str(exc)
        return False

    # ---- reading ----------------------------------------------------------------
    def count(self) -> int:
        index = self._reader()
        return 0 if index is None else index.searcher().num_docs

    def get(self, entity_id: str) -> dict[str, Any] | None:
        """The stored document of one entity (matching-only fields left out), or None."""
        index = self._reader()
        if index is None:
            return None
        searcher = index.searcher()
        hits = searcher.search(tantivy.Query.term_query(self._schema, "entity_id", entity_id), limit=1).hits
        return json.loads(searcher.doc(hits[0][1]).get_first("_source")) if hits else None

    def search(self, query: SearchQuery) -> SearchResult:
        plan = analyse_query(query.q)
        index = self._reader()
        if index is None:
            return SearchResult(total=0, page=query.page, size=query.size, hits=[])
        searcher = index.searcher()
        tq = self.build_query(plan, query, searcher)
        offset, limit = fetch_limit(plan, query)
        if limit == 0:  # past MAX_RESULT_WINDOW: only the total is wanted
            kwargs: dict[str, Any] = {"limit": 1, "offset": 0, "count": True}
        else:
            kwargs = {"limit": limit, "offset": offset, "count": True}
        order_field, order = self._order(plan, query)
        if order_field:
            kwargs.update(order_by_field=order_field, order=order)
        try:
            result = searcher.search(tq, **kwargs)
        except ValueError as exc:
            raise SearchBackendError("embedded search failed", q=query.q, reason=str(exc)) from exc
        candidates = []
        for key, address in result.hits:
            stored = searcher.doc(address)
            candidates.append(Candidate(MatchData.decode(stored.get_first("_match")),
                                        float(key) if not order_field else 0.0, stored))
        return assemble(plan, query, candidates, result.count or 0, _load_source)

    @staticmethod
    def _order(plan: QueryPlan, query: SearchQuery) -> tuple[str | None, tantivy.Order]:
        sort = query.sort
        if sort == "relevance":
            if plan.is_empty:
                return "name_sort", tantivy.Order.Asc
            return None, tantivy.Order.Desc
        descending = sort.startswith("-")
        return SORT_FIELDS[sort.lstrip("-")], tantivy.Order.Desc if descending else tantivy.Order.Asc

    def _bigram_clause(self, plan: QueryPlan, searcher: tantivy.Searcher | None) -> tantivy.Query:
        """Names sharing at least `plan.minimum_bigrams` of the query's bigrams.

        Industry bigrams (科技, 技术, 信息…) sit in a large share of all names, and a
        minimum-should-match over their posting lists was most of a name search's cost at 1M
        profiles. Only the rarer bigrams are used when there are any: a name sharing `need` bigrams
        shares at least `need - common` rare ones, so candidates are never lost (a few more may
        come in, and re-scoring orders them)."""
        Q, Occur = tantivy.Query, tantivy.Occur
        grams = plan.bigrams
        need = plan.minimum_bigrams
        if searcher is not None:
            limit = max(COMMON_BIGRAM_MIN_DOCS, int(searcher.num_docs * COMMON_BIGRAM_SHARE))
            rare = [g for g in grams if searcher.doc_freq("names", g) <= limit]
            if rare and len(rare) < len(grams):
                need, grams = max(1, need - (len(grams) - len(rare))), rare
        clauses = [(Occur.Should, Q.term_query(self._schema, "names", g)) for g in grams]
        return Q.boolean_query(clauses, minimum_number_should_match=need)

    def build_query(self, plan: QueryPlan, query: SearchQuery, searcher: tantivy.Searcher | None = None) -> tantivy.Query:
        """Boolean query of term clauses (never parse_query: it turns CJK into phrase queries)."""
        schema = self._schema
        Q, Occur = tantivy.Query, tantivy.Occur
        should: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for key in plan.identifiers:
            should.append((Occur.Should, Q.boost_query(Q.term_query(schema, "ids", key), BOOST_IDENTIFIER)))
        if plan.wants_names and plan.bigrams:
            should.append((Occur.Should, self._bigram_clause(plan, searcher)))
        if plan.wants_names:
            for key in dict.fromkeys([plan.folded, plan.core]):
                should.append((Occur.Should, Q.boost_query(Q.term_query(schema, "name_keys", key), BOOST_EXACT_NAME)))
            if plan.typo_terms:
                # One-typo matching by deletion-neighbourhood terms, not fuzzy_term_query (see typo_keys).
                typo = Q.term_set_query(schema, "typo_keys", plan.typo_terms)
                should.append((Occur.Should, Q.const_score_query(typo, BOOST_FUZZY)))
            for key in plan.trade_keys:
                trade = Q.term_query(schema, "trade_names", key)
                should.append((Occur.Should, Q.boost_query(trade, BOOST_TRADE_NAME)))
        if plan.pinyin:
            should.append((Occur.Should, Q.boost_query(Q.term_query(schema, "pinyin", plan.pinyin), BOOST_PINYIN)))

        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if plan.is_empty:
            must.append((Occur.Must, Q.all_query()))
        else:
            must.append((Occur.Must, Q.boolean_query(should) if should else Q.empty_query()))
        f = query.filters
        for field in ("district", "status", "industry", "tax_rating", "customs_grade", "environment_rating"):
            value = getattr(f, field)
            if value:
                must.append((Occur.Must, Q.const_score_query(Q.term_query(schema, field, value), 0.0)))
        for flag in f.flags:
            must.append((Occur.Must, Q.const_score_query(Q.term_query(schema, "flags", flag), 0.0)))
        return Q.boolean_query(must)

    def close(self) -> None:
        with self._guard:
            self._index, self._version = None, None
