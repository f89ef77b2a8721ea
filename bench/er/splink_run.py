"""Splink (DuckDB backend) on the same records.jsonl: the baseline for docs/benchmarks.

Runs in the separate benchmark environment only:
    python3 -m venv bench/.venv-splink && bench/.venv-splink/bin/pip install splink
    bench/.venv-splink/bin/python bench/er/splink_run.py --input records.jsonl --output splink_clusters.jsonl

Splink gets the same cleaning a careful analyst would do without our libraries (full-width to
half-width, separators stripped, the organization code read out of a USCC or old tax number,
the city prefix, brackets and 有限责任公司 folded in names), a Fellegi-Sunter model trained
without labels (u by random sampling, m by EM), and clustering at a match probability threshold.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import unicodedata
from pathlib import Path

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

SEP = re.compile(r"[\s\-_.·]+")


def ident(v: object) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    s = SEP.sub("", unicodedata.normalize("NFKC", str(v)).upper())
    return s or None


def org_key(row: dict) -> str | None:
    u, o, t = ident(row.get("uscc")), ident(row.get("org_code")), ident(row.get("tax_no"))
    if u and len(u) == 18:
        return u[8:17]
    if o and len(o) == 9:
        return o
    if t and len(t) == 15:
        return t[6:]
    if t and len(t) == 18:
        return t[8:17]
    return None


def name_norm(v: object) -> str | None:
    if not v:
        return None
    s = unicodedata.normalize("NFKC", str(v))
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"[()（）]", "", s).replace("深圳市", "").replace("深圳", "").replace("有限责任公司", "有限公司")
    return s or None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--threshold", type=float, default=0.95)
    args = ap.parse_args()
    started = time.perf_counter()
    rows = [json.loads(x) for x in args.input.read_text(encoding="utf-8").splitlines() if x.strip()]
    df = pd.DataFrame({
        "unique_id": [f"{r['source']}\x1f{r['record_id']}" for r in rows],
        "uscc": [ident(r.get("uscc")) if ident(r.get("uscc")) and len(ident(r.get("uscc"))) == 18 else None
                 for r in rows],
        "org_key": [org_key(r) for r in rows],
        "reg_no": [ident(r.get("reg_no")) for r in rows],
        "name": [name_norm(r.get("name")) for r in rows],
        "legal_rep": [r.get("legal_rep") or None for r in rows],
        "established": [r.get("established") or None for r in rows],
    })
    db_api = DuckDBAPI()
    table = db_api.register(df)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ExactMatch("uscc"),
            cl.ExactMatch("org_key"),
            cl.ExactMatch("reg_no"),
            cl.JaroWinklerAtThresholds("name", [0.97, 0.92, 0.85]),
            cl.ExactMatch("legal_rep"),
            cl.ExactMatch("established"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("uscc"), block_on("org_key"), block_on("reg_no"), block_on("name"),
        ],
    )
    linker = Linker(table, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("uscc"), block_on("org_key")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("org_key"))
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, args.threshold)
    out = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    seconds = time.perf_counter() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as f:
        for uid, cid in zip(out["unique_id"], out["cluster_id"], strict=True):
            source, rid = uid.split("\x1f", 1)
            f.write(json.dumps({"source": source, "record_id": rid, "entity_id": str(cid)}, ensure_ascii=False) + "\n")
    print(json.dumps({"records": len(rows), "seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main()
