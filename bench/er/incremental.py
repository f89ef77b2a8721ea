"""Incremental path: latency of matching one new record against existing entities.

    .venv/bin/python bench/er/incremental.py --companies 50000 --probe 2000

Builds the index from a synthetic city (all but `probe` records, held out at random), then
adds the held-out records one at a time with Resolver.add and reports latency percentiles and
whether each landed on its company's entity.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from entity_resolution import synthetic
from entity_resolution.matcher import MatchRecord, Resolver


def to_record(r: dict) -> MatchRecord:  # type: ignore[type-arg]
    return MatchRecord(key=f"{r['source']}/{r['record_id']}", name=r["name"],
                       former_names=tuple(r.get("former_names") or ()), uscc=r["uscc"], reg_no=r["reg_no"],
                       org_code=r["org_code"], tax_no=r["tax_no"], address=r["address"], legal_rep=r["legal_rep"],
                       established=r["established"], is_register=bool(r.get("is_register")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--companies", type=int, default=50_000)
    ap.add_argument("--probe", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rows, truth = synthetic.records(synthetic.population(args.companies, args.seed), 4.0, args.seed + 1)
    rng = random.Random(args.seed)
    candidates = [i for i, r in enumerate(rows) if not r.get("is_register")]
    held = set(rng.sample(candidates, args.probe))
    base = [to_record(r) for i, r in enumerate(rows) if i not in held]
    probes = [(to_record(rows[i]), truth[(rows[i]["source"], rows[i]["record_id"])]) for i in sorted(held)]
    started = time.perf_counter()
    resolver = Resolver()
    resolver.add_many(base)
    build = time.perf_counter() - started
    company_entity: dict[str, str] = {}
    for r in rows:
        key = f"{r['source']}/{r['record_id']}"
        if key in resolver.record_entity:
            company_entity.setdefault(truth[(r["source"], r["record_id"])], resolver.entity_of(key))
    latencies, right = [], 0
    for rec, company in probes:
        t = time.perf_counter()
        d = resolver.add(rec)
        latencies.append((time.perf_counter() - t) * 1000)
        right += company_entity.get(company) == d.entity_id
    q = statistics.quantiles(latencies, n=100)
    result = {"index_records": len(base), "entities": len(resolver.entities), "build_s": round(build, 1),
              "probes": len(probes), "p50_ms": round(q[49], 3), "p95_ms": round(q[94], 3), "p99_ms": round(q[98], 3),
              "max_ms": round(max(latencies), 3), "landed_on_right_entity": right / len(probes)}
    print(json.dumps(result))
    out = Path(__file__).resolve().parents[2] / "bench" / "out" / "er_incremental.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
