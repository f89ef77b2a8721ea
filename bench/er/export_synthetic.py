"""Write a synthetic city (entity_resolution.synthetic) as records.jsonl + truth.jsonl.

    .venv/bin/python bench/er/export_synthetic.py --companies 250000 --out bench/out/er_1m   # ~1,000,000 records
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from entity_resolution import synthetic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--companies", type=int, default=250_000)
    ap.add_argument("--per-company", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("bench/out/er_1m"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows, truth = synthetic.records(synthetic.population(args.companies, args.seed), args.per_company, args.seed + 1)
    with (args.out / "records.jsonl").open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with (args.out / "truth.jsonl").open("w", encoding="utf-8") as t:
        for (source, rid), company in truth.items():
            t.write(json.dumps({"source": source, "record_id": rid, "company_id": company}) + "\n")
    print(f"{len(rows)} records -> {args.out}")


if __name__ == "__main__":
    main()
