"""Entity-resolution benchmark: ours (`credithub resolve`) vs Splink on the same records.

    .venv/bin/python bench/er/run.py --data bench/out/er_sandbox [--splink] [--label sandbox-3000]

Each matcher runs as its own process on records.jsonl; wall time and peak memory (max RSS) are
measured around the process; pairwise precision / recall / F1 against truth.jsonl.
Results are appended to bench/out/er_results.jsonl and printed as a Markdown table row.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPLINK_PY = REPO / "bench" / ".venv-splink" / "bin" / "python"


def pair_scores(truth: dict[tuple[str, str], str], predicted: dict[tuple[str, str], str]) -> dict[str, float]:
    keys = [k for k in truth if k in predicted]
    cells = Counter((predicted[k], truth[k]) for k in keys)
    pairs = lambda n: n * (n - 1) // 2  # noqa: E731
    tp = sum(pairs(n) for n in cells.values())
    pp = sum(pairs(n) for n in Counter(predicted[k] for k in keys).values())
    tt = sum(pairs(n) for n in Counter(truth[k] for k in keys).values())
    p, r = (tp / pp if pp else 1.0), (tp / tt if tt else 1.0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "records": len(keys)}


def read_map(path: Path, field: str) -> dict[tuple[str, str], str]:
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            out[(o["source"], o["record_id"])] = o[field]
    return out


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of a child process.

    CPU time is reported too because the benchmark machine is shared: wall time rises with
    other load, CPU time much less.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="folder with records.jsonl and truth.jsonl")
    ap.add_argument("--splink", action="store_true", help="also run Splink (needs bench/.venv-splink)")
    ap.add_argument("--label", default=None)
    args = ap.parse_args()
    records, truth_path = args.data / "records.jsonl", args.data / "truth.jsonl"
    truth = read_map(truth_path, "company_id")
    n = sum(1 for _ in records.open(encoding="utf-8"))
    rows = []
    ours_out = args.data / "ours_clusters.jsonl"
    # The same command two ways: through the root CLI (which imports every area's sub-commands at
    # start-up) and through entity_resolution's own CLI module (only what resolving needs).
    entries = {
        "credithub resolve": [str(REPO / ".venv" / "bin" / "credithub"), "resolve"],
        "python -m entity_resolution.cli resolve": [str(REPO / ".venv" / "bin" / "python"), "-m",
                                                    "entity_resolution.cli", "resolve"],
    }
    for label, cmd in entries.items():
        wall, cpu, peak = timed([*cmd, "--input", str(records), "--output", str(ours_out)])
        rows.append({"matcher": label, "seconds": wall, "cpu_s": cpu, "peak_mb": peak,
                     **pair_scores(truth, read_map(ours_out, "entity_id"))})
    if args.splink:
        splink_out = args.data / "splink_clusters.jsonl"
        # Each process's own peak: run Splink after ours, in a fresh child.
        wall, cpu, peak = timed([str(SPLINK_PY), str(REPO / "bench" / "er" / "splink_run.py"), "--input",
                                 str(records), "--output", str(splink_out)])
        rows.append({"matcher": "Splink 5 (DuckDB)", "seconds": wall, "cpu_s": cpu, "peak_mb": peak,
                     **pair_scores(truth, read_map(splink_out, "entity_id"))})
    meta = {"label": args.label or args.data.name, "records": n, "cpus": __import__("os").cpu_count(),
            "machine": platform.machine(), "python": sys.version.split()[0]}
    out = REPO / "bench" / "out" / "er_results.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({**meta, **r}) + "\n")
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"(load average at the end: {load})")
    print("| data | records | matcher | precision | recall | F1 | wall s | CPU s | peak MB |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {meta['label']} | {n:,} | {r['matcher']} | {r['precision']:.4f} | {r['recall']:.4f} | "
              f"{r['f1']:.4f} | {r['seconds']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
