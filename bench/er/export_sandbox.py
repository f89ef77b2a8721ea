"""Export sandbox records (read through the real connectors) in the `credithub resolve` input format.

    .venv/bin/python bench/er/export_sandbox.py --companies 3000 --seed 7 --out bench/out/er_sandbox

writes records.jsonl (contract fields plus former_names/is_register) and truth.jsonl
({"source","record_id","company_id"}) — the same records both matchers are scored on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from credithub.sandbox import generate
from entity_resolution.evaluate import read_sandbox_records, read_truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--companies", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("bench/out/er_sandbox"))
    args = ap.parse_args()
    sandbox = args.out / "sandbox"
    generate(sandbox, args.companies, args.seed)
    records, skipped = read_sandbox_records(sandbox)
    truth = read_truth(sandbox)
    with (args.out / "records.jsonl").open("w", encoding="utf-8") as f, \
         (args.out / "truth.jsonl").open("w", encoding="utf-8") as t:
        for r in records:
            if r.key not in truth:
                continue
            source, record_id = r.key.split("/", 1)[0], r.key.split("/", 1)[1]
            f.write(json.dumps({
                "source": source, "record_id": record_id, "name": r.name, "uscc": r.uscc, "reg_no": r.reg_no,
                "org_code": r.org_code, "tax_no": r.tax_no, "address": r.address, "legal_rep": r.legal_rep,
                "established": r.established, "former_names": list(r.former_names), "is_register": r.is_register,
            }, ensure_ascii=False) + "\n")
            t.write(json.dumps({"source": source, "record_id": record_id, "company_id": truth[r.key]}) + "\n")
    print(f"{len(records)} records ({skipped} unmappable rows skipped) -> {args.out}")


if __name__ == "__main__":
    main()
