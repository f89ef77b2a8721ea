"""tantivy vs SQLite FTS5 (trigram tokenizer) as the embedded engine, on Chinese company names.

    .venv/bin/python -m bench.search.compare_engines --profiles 200000 --queries 1000

Both engines index the same folded name variants from profile_document and feed the
same Python re-scoring (credithub.search.ranking.rerank); only candidate retrieval
differs, which is what the choice is about:
  tantivy  bigram term queries, ≥60% must match, + exact key + one-edit (deletion-neighbourhood) keys
  FTS5     trigram tokenizer; OR of the query's trigrams ranked by bm25 (FTS5 has no
           minimum-should-match); queries under 3 characters fall back to LIKE '%q%'
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import tantivy

from bench.search.synth import companies, profile, variants
from credithub.search.analysis import QueryPlan, analyse_query
from credithub.search.documents import profile_document
from credithub.search.ranking import Candidate, MatchData, rerank

WINDOW = 100
KINDS = ("exact", "typo", "traditional", "region_dropped", "region_bracketed", "trade_name")


def _compact(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("entity_id", "name", "variants", "ids", "pinyin")}


class TantivyEngine:
    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("names", tokenizer_name="bigram", index_option="freq")
        sb.add_text_field("name_keys", tokenizer_name="raw", index_option="basic")
        sb.add_text_field("typo_keys", tokenizer_name="raw", index_option="basic")
        sb.add_bytes_field("src", stored=True)
        self.schema = sb.build()
        self.index = tantivy.Index(self.schema, path=str(path))
        self.index.register_tokenizer("bigram", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(2, 2, False)).build())

    def build(self, docs: list[dict[str, Any]]) -> None:
        writer = self.index.writer(heap_size=256_000_000, num_threads=2)
        for d in docs:
            doc = tantivy.Document()
            for n in d["names"]:
                doc.add_text("names", n)
            for k in d["name_keys"]:
                doc.add_text("name_keys", k)
            for k in d["typo_keys"]:
                doc.add_text("typo_keys", k)
            doc.add_bytes("src", json.dumps(_compact(d), ensure_ascii=False).encode())
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def candidates(self, plan: QueryPlan) -> list[Candidate]:
        Q, O, s = tantivy.Query, tantivy.Occur, self.schema
        should = []
        if plan.bigrams:
            grams = [(O.Should, Q.term_query(s, "names", g)) for g in plan.bigrams]
            should.append((O.Should, Q.boolean_query(grams, minimum_number_should_match=plan.minimum_bigrams)))
        for key in dict.fromkeys([plan.folded, plan.core]):
            should.append((O.Should, Q.boost_query(Q.term_query(s, "name_keys", key), 100.0)))
        if plan.typo_terms:  # as the embedded backend: deletion-neighbourhood keys, not fuzzy_term_query
            should.append((O.Should, Q.const_score_query(Q.term_set_query(s, "typo_keys", plan.typo_terms), 60.0)))
        searcher = self.index.searcher()
        result = searcher.search(Q.boolean_query(should), limit=WINDOW)
        return [Candidate(MatchData.from_source(d), score, d)
                for score, a in result.hits for d in [json.loads(searcher.doc(a).get_first("src"))]]


class Fts5Engine:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE VIRTUAL TABLE name_fts USING fts5(names, tokenize='trigram')")
        self.db.execute("CREATE TABLE src (rowid INTEGER PRIMARY KEY, doc TEXT)")

    def build(self, docs: list[dict[str, Any]]) -> None:
        with self.db:
            self.db.executemany("INSERT INTO name_fts(rowid, names) VALUES (?, ?)",
                                ((i, " | ".join(d["names"])) for i, d in enumerate(docs)))
            self.db.executemany("INSERT INTO src(rowid, doc) VALUES (?, ?)",
                                ((i, json.dumps(_compact(d), ensure_ascii=False)) for i, d in enumerate(docs)))
        self.db.execute("INSERT INTO name_fts(name_fts) VALUES ('optimize')")
        self.db.commit()

    def candidates(self, plan: QueryPlan) -> list[Candidate]:
        text = plan.match_text or plan.core
        grams = list(dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2)))
        if grams:
            match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
            rows = self.db.execute(
                "SELECT s.doc, -bm25(name_fts) FROM name_fts JOIN src s ON s.rowid = name_fts.rowid "
                "WHERE name_fts MATCH ? ORDER BY bm25(name_fts) LIMIT ?", (match, WINDOW)).fetchall()
        else:  # under 3 characters the trigram index cannot answer: full scan
            rows = self.db.execute(
                "SELECT s.doc, 1.0 FROM name_fts JOIN src s ON s.rowid = name_fts.rowid WHERE name_fts.names LIKE ? LIMIT ?",
                (f"%{text}%", WINDOW)).fetchall()
        return [Candidate(MatchData.from_source(d), score, d) for doc, score in rows for d in [json.loads(doc)]]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


def run(n: int, queries: int, docs_jsonl: Path | None) -> dict[str, Any]:
    comps = list(companies(n))
    if docs_jsonl and docs_jsonl.exists():
        with docs_jsonl.open(encoding="utf-8") as f:
            docs = [json.loads(next(f)) for _ in range(n)]
    else:
        docs = [profile_document(profile(c)) for c in comps]
    rng = random.Random(5)
    mix = []
    for i in range(queries):
        c = rng.choice(comps)
        kind = KINDS[i % len(KINDS)]
        q = c.trade if kind == "trade_name" else variants(c, rng)[kind]
        mix.append((kind, analyse_query(q), f"E{c.index:08d}"))

    report: dict[str, Any] = {"profiles": n, "queries": queries, "load_average_at_start": list(os.getloadavg())}
    with tempfile.TemporaryDirectory() as tmp:
        for name, engine in (("tantivy", TantivyEngine(Path(tmp, "tv").absolute())),
                             ("fts5", Fts5Engine(Path(tmp, "fts.db")))):
            t0 = time.perf_counter()
            engine.build(docs)
            build = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file() and
                       (("tv" in p.parts) if name == "tantivy" else p.name.startswith("fts")))
            lat: dict[str, list[float]] = defaultdict(list)
            cpu: list[float] = []
            top1: dict[str, list[bool]] = defaultdict(list)
            top10: dict[str, list[bool]] = defaultdict(list)
            tied: dict[str, list[bool]] = defaultdict(list)
            window: dict[str, list[bool]] = defaultdict(list)
            for kind, plan, expected in mix[:50]:
                engine.candidates(plan)
            for kind, plan, expected in mix:
                c, t = time.process_time(), time.perf_counter()
                ranked = rerank(plan, engine.candidates(plan))
                lat[kind].append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
                ids = [s.candidate.source["entity_id"] for s in ranked[:10]]
                if kind == "trade_name":  # several companies share a 字号: found = among the top 10
                    top10[kind].append(expected in [s.candidate.source["entity_id"] for s in ranked])
                    continue
                top1[kind].append(bool(ids) and ids[0] == expected)
                top10[kind].append(expected in ids)
                # A typo can make the query exactly as close to other real names: count the target as
                # found first when it shares the best score (an inherent tie, not a retrieval miss).
                best = ranked[0].score if ranked else None
                tied[kind].append(any(s.candidate.source["entity_id"] == expected and s.score == best for s in ranked))
                window[kind].append(any(s.candidate.source["entity_id"] == expected for s in ranked))
            every = [v for vs in lat.values() for v in vs]
            report[name] = {
                "build_seconds": round(build, 1),
                "size_mb": round(size / 1e6, 1),
                "p50_ms": _pct(every, 50), "p95_ms": _pct(every, 95), "mean_ms": round(statistics.fmean(every), 2),
                "cpu_p50_ms": _pct(cpu, 50), "cpu_p95_ms": _pct(cpu, 95),
                "by_kind": {k: {"p50_ms": _pct(lat[k], 50), "p95_ms": _pct(lat[k], 95),
                                "top1": round(sum(top1[k]) / len(top1[k]), 3) if top1[k] else None,
                                "top1_or_tied": round(sum(tied[k]) / len(tied[k]), 3) if tied[k] else None,
                                "in_window": round(sum(window[k]) / len(window[k]), 3) if window[k] else None,
                                "found_in_window" if k == "trade_name" else "top10":
                                    round(sum(top10[k]) / len(top10[k]), 3)} for k in KINDS},
            }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--documents", type=Path, help="JSONL from bench_embedded to reuse (same generator)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = run(args.profiles, args.queries, args.documents)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
