"""Embedded (tantivy) backend at scale: index build time and in-process search latency.

    .venv/bin/python -m bench.search.bench_embedded --profiles 1000000 --queries 2000 --work-dir /tmp/chbench

Phase 1 builds search documents from synthetic profiles (profile_document) into a JSONL
file; phase 2 rebuilds the index from that file (what `publish --full` does, minus the
database); phase 3 runs a mixed query load and reports p50/p95/p99 and recall.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.progress import Progress

from bench.search.synth import DISTRICTS, Company, companies, profile, variants
from credithub.search.base import SearchFilters, SearchQuery
from credithub.search.documents import profile_document
from credithub.search.embedded import EmbeddedBackend


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def build_documents(n: int, path: Path, sample_every: int) -> tuple[float, list[Company]]:
    sampled: list[Company] = []
    start = time.perf_counter()
    with path.open("w", encoding="utf-8") as out, Progress() as progress:
        task = progress.add_task("documents", total=n)
        for c in companies(n):
            out.write(json.dumps(profile_document(profile(c)), ensure_ascii=False) + "\n")
            if c.index % sample_every == 0:
                sampled.append(c)
            if c.index % 10000 == 0:
                progress.update(task, completed=c.index)
        progress.update(task, completed=n)
    return time.perf_counter() - start, sampled


def read_documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def query_mix(sampled: list[Company], count: int, seed: int = 11) -> list[tuple[str, SearchQuery, str | None]]:
    """(kind, query, expected entity_id or None when any answer is fine)."""
    rng = random.Random(seed)
    out: list[tuple[str, SearchQuery, str | None]] = []
    kinds = ["exact", "typo", "traditional", "region_dropped", "region_bracketed", "trade_name", "uscc", "org_code",
             "filters_only", "name_sorted"]
    for i in range(count):
        c = rng.choice(sampled)
        kind = kinds[i % len(kinds)]
        eid = f"E{c.index:08d}"
        if kind in ("exact", "typo", "traditional", "region_dropped", "region_bracketed"):
            out.append((kind, SearchQuery(q=variants(c, rng)[kind]), eid))
        elif kind == "trade_name":
            out.append((kind, SearchQuery(q=c.trade), None))
        elif kind == "uscc":
            out.append((kind, SearchQuery(q=c.uscc.lower()), eid))
        elif kind == "org_code":
            out.append((kind, SearchQuery(q=f"{c.org[:8]}-{c.org[8]}"), eid))
        elif kind == "filters_only":
            flt = SearchFilters(district=rng.choice(DISTRICTS), flags=["abnormal_operations"])
            out.append((kind, SearchQuery(filters=flt, page=rng.randint(1, 5)), None))
        else:
            out.append((kind, SearchQuery(q=c.trade, sort="-established", page=2), None))
    return out


def run(n: int, queries: int, work_dir: Path, reuse_documents: bool = False, search_only: bool = False) -> dict[str, Any]:
    work_dir.mkdir(parents=True, exist_ok=True)
    docs_path = work_dir / f"documents-{n}.jsonl"
    sample_every = max(1, n // 5000)
    if (reuse_documents or search_only) and docs_path.exists():
        doc_seconds = None
        sampled = [c for c in companies(n) if c.index % sample_every == 0]
    else:
        doc_seconds, sampled = build_documents(n, docs_path, sample_every=sample_every)

    backend = EmbeddedBackend(work_dir / "index")
    build_seconds: float | None = None
    if search_only and backend.live_version():
        version = backend.live_version() or ""
    else:
        start = time.perf_counter()
        version = backend.rebuild(read_documents(docs_path))
        build_seconds = time.perf_counter() - start
    index_bytes = sum(p.stat().st_size for p in (work_dir / "index" / version).rglob("*") if p.is_file())
    assert backend.count() == n, backend.count()

    mix = query_mix(sampled, queries + 200)
    for _, q, _ in mix[:200]:  # warm the page cache and the reader
        backend.search(q)
    latencies: dict[str, list[float]] = defaultdict(list)
    cpu: list[float] = []
    top1: dict[str, list[bool]] = defaultdict(list)
    top10: dict[str, list[bool]] = defaultdict(list)
    for kind, q, expected in mix[200:]:
        c0, t0 = time.process_time(), time.perf_counter()
        result = backend.search(q)
        latencies[kind].append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        if expected:
            ids = [h.entity_id for h in result.hits]
            top1[kind].append(bool(ids) and ids[0] == expected)
            top10[kind].append(expected in ids)
    everything = [v for vs in latencies.values() for v in vs]
    report = {
        "profiles": n,
        "queries": len(everything),
        "documents_seconds": round(doc_seconds, 1) if doc_seconds is not None else "reused",
        "index_build_seconds": round(build_seconds, 1) if build_seconds else "reused",
        "index_docs_per_second": round(n / build_seconds) if build_seconds else None,
        "index_bytes": index_bytes,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "latency_ms": {
            "p50": round(_percentile(everything, 50), 2),
            "p95": round(_percentile(everything, 95), 2),
            "p99": round(_percentile(everything, 99), 2),
            "mean": round(statistics.fmean(everything), 2),
        },
        # CPU time of the searching process per query: less sensitive to other load on a shared machine.
        "cpu_ms": {"p50": round(_percentile(cpu, 50), 2), "p95": round(_percentile(cpu, 95), 2),
                   "p99": round(_percentile(cpu, 99), 2)},
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "by_kind": {
            kind: {
                "p50": round(_percentile(v, 50), 2),
                "p95": round(_percentile(v, 95), 2),
                "top1": round(sum(top1[kind]) / len(top1[kind]), 3) if top1[kind] else None,
                "top10": round(sum(top10[kind]) / len(top10[kind]), 3) if top10[kind] else None,
            }
            for kind, v in latencies.items()
        },
        "machine": f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}",
        "python": platform.python_version(),
    }
    backend.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/credithub-search-bench"))
    parser.add_argument("--out", type=Path, help="write the JSON report here too")
    parser.add_argument("--reuse-documents", action="store_true", help="skip phase 1 when the JSONL already exists")
    parser.add_argument("--search-only", action="store_true", help="skip phases 1 and 2 when an index is live")
    args = parser.parse_args()
    report = run(args.profiles, args.queries, args.work_dir, args.reuse_documents, args.search_only)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
