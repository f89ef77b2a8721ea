"""End-to-end benchmark of the main job: `credithub run` on an N-company sandbox from an empty database.

    .venv/bin/python bench/e2e/run_e2e.py --companies 20000 --db sqlite
    .venv/bin/python bench/e2e/run_e2e.py --companies 20000 --db postgresql

Steps, each in its own process with its wall time and peak memory measured:

1. sandbox generation (`credithub sandbox generate`), reported separately; a sandbox generated
   before for the same size and seed is reused from --cache-dir (generation time then "cached");
2. the sandbox is copied into a fresh CREDITHUB_VAR_DIR (the incremental step changes it);
   PostgreSQL gets a fresh database `credithub_bench_<n>` on --pg-host;
3. `credithub run` from the empty database (first load), timed per stage;
4. `credithub run` again with nothing new;
5. `credithub sandbox advance --change-share 0.01` (1 % of records get a new version, plus the
   day's usual events), then `credithub run` again.

Peak memory is the peak of the summed RSS of the whole process tree, polled every 0.5 s (resolve
forks workers; shared copy-on-write pages are counted once per process, so this is an upper
bound), and the peak RSS of the largest single process. The result goes to
bench/e2e/results/<db>-<n>-<UTC time>.json and a Markdown table row is printed on stdout;
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from pydantic import BaseModel, Field

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
CREDITHUB = REPO / ".venv" / "bin" / "credithub"
RESULTS = REPO / "bench" / "e2e" / "results"
SEED = 20261128
COUNTED_TABLES = ("raw_records", "staged_records", "canonical_records", "entities", "entity_links", "profiles")


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Measured(BaseModel):
    """One measured process (tree)."""

    command: list[str]
    exit_code: int
    wall_s: float
    peak_rss_tree_mb: float = Field(description="Peak of the summed RSS of the process and all its children.")
    peak_rss_max_process_mb: float = Field(description="Peak RSS of the largest single process of the tree.")
    processes_seen: int


class RunResult(BaseModel):
    label: str
    measured: Measured
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    report: dict[str, Any] = Field(default_factory=dict, description="Totals from the run's own JSON report.")
    tables: dict[str, int] = Field(default_factory=dict, description="Row counts after the run.")
    db_size_mb: float = 0.0
    records_per_s: float | None = Field(None, description="Raw records landed by this run per wall second.")


class E2EResult(BaseModel):
    companies: int
    seed: int
    db: str
    date: str
    commit: str
    dirty: bool
    machine: dict[str, Any]
    sandbox_records: int
    records_per_company: float
    sandbox_bytes: int
    generation: Measured | None = Field(None, description="None when a cached sandbox was reused.")
    generation_cached_from: str | None = None
    runs: list[RunResult] = Field(default_factory=list)
    advance: Measured | None = None
    changed_records: int = 0


def measure(command: list[str], env: dict[str, str], poll_s: float = 0.5, log_to: Path | None = None) -> Measured:
    """Run `command`, polling the RSS of its whole process tree every `poll_s` seconds."""
    started = time.perf_counter()
    out = log_to.open("w", encoding="utf-8") if log_to else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        peak_tree = peak_one = 0
        seen: set[int] = set()
        done = threading.Event()

        def poll() -> None:
            nonlocal peak_tree, peak_one
            while not done.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    break
                total = 0
                for p in tree:
                    try:
                        rss = p.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
                    seen.add(p.pid)
                    total += rss
                    peak_one = max(peak_one, rss)
                peak_tree = max(peak_tree, total)
                done.wait(poll_s)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        code = proc.wait()
        done.set()
        poller.join()
    finally:
        if log_to:
            out.close()  # type: ignore[union-attr]
    return Measured(
        command=[str(c) for c in command],
        exit_code=code,
        wall_s=round(time.perf_counter() - started, 2),
        peak_rss_tree_mb=round(peak_tree / 2**20, 1),
        peak_rss_max_process_mb=round(peak_one / 2**20, 1),
        processes_seen=len(seen),
    )


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()


def sandbox_matches(path: Path, companies: int, seed: int) -> bool:
    manifest = path / "manifest.json"
    if not (manifest.exists() and (path / "ground_truth.jsonl").exists()):
        return False
    data = json.loads(manifest.read_text("utf-8"))
    return data.get("companies") == companies and data.get("seed") == seed and data.get("days_advanced", 0) == 0


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pg_admin(host: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@{host}:5432/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def table_counts(db: str, url: str, var_dir: Path) -> tuple[dict[str, int], float]:
    """Row counts of the main tables and the database size in MB."""
    counts: dict[str, int] = {}
    if db == "sqlite":
        path = var_dir / "credithub.db"
        conn = sqlite3.connect(path)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for t in COUNTED_TABLES:
                if t in names:
                    counts[t] = conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        finally:
            conn.close()
        size = sum(p.stat().st_size for p in var_dir.glob("credithub.db*"))
        return counts, round(size / 2**20, 1)
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        names = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        for t in COUNTED_TABLES:
            if t in names:
                counts[t] = conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # type: ignore[index]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
    return counts, round(size / 2**20, 1)


def report_totals(path: Path) -> dict[str, Any]:
    """What the run itself reported: rows fetched/new per department summed, and the later stages."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text("utf-8"))
    syncs = [s for d in data.get("departments", []) for s in d.get("syncs", [])]
    return {
        "rows_fetched": sum(int(s.get("rows_fetched", 0)) for s in syncs),
        "rows_new": sum(int(s.get("rows_new", 0)) for s in syncs),
        "rows_faulty": sum(int(s.get("rows_faulty", 0)) for s in syncs),
        "failed_departments": [d["department"] for d in data.get("departments", []) if d.get("error")],
        "resolve": data.get("resolve", {}),
        "profiles": data.get("profiles", {}),
        "publish": data.get("publish", {}),
    }


def _own_stage_seconds(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    own = json.loads(path.read_text("utf-8")).get("stage_seconds")
    return {str(k): float(v) for k, v in own.items()} if isinstance(own, dict) else {}


def run_once(label: str, env: dict[str, str], work: Path, args: argparse.Namespace, url: str) -> RunResult:
    report_path = work / f"report-{label}.json"
    clock_path = work / f"stages-{label}.json"
    env = {**env, "CREDITHUB_STAGE_CLOCK": str(clock_path)}
    command = [str(PYTHON), "-m", "bench.e2e.timed_run", "run", "--report-json", str(report_path)]
    before, _ = table_counts(args.db, url, work / "var") if label != "first" else ({}, 0.0)
    log(f"{label}: credithub run ({args.db}, {args.companies:,} companies) …")
    measured = measure(command, env, args.poll, log_to=work / f"run-{label}.log")
    clock = json.loads(clock_path.read_text("utf-8")) if clock_path.exists() else {}
    tables, size = table_counts(args.db, url, work / "var")
    landed = tables.get("raw_records", 0) - before.get("raw_records", 0)
    result = RunResult(
        label=label,
        measured=measured,
        # The job's own stage timings win when its report has them; otherwise the progress clock's.
        stage_seconds=_own_stage_seconds(report_path) or clock.get("stage_seconds", {}),
        report=report_totals(report_path),
        tables=tables,
        db_size_mb=size,
        records_per_s=round(landed / measured.wall_s, 1) if measured.wall_s and landed else None,
    )
    log(
        f"{label}: exit {measured.exit_code}, {measured.wall_s:.1f} s, peak RSS {measured.peak_rss_tree_mb:,.0f} MB "
        f"(tree), stages {result.stage_seconds}, raw records {tables.get('raw_records', 0):,}"
    )
    return result


def markdown_row(r: E2EResult) -> str:
    first = r.runs[0]
    st = first.stage_seconds
    gen = f"{r.generation.wall_s:.0f} s / {r.generation.peak_rss_tree_mb / 1024:.2f} GB" if r.generation else "cached"
    cells = [
        f"{r.companies:,}",
        r.db,
        f"{r.sandbox_records:,} ({r.records_per_company:.2f}/company)",
        gen,
        f"{first.measured.wall_s:.0f} s",
        f"{st.get('sync', 0):.0f}",
        f"{st.get('resolve', 0):.0f}",
        f"{st.get('profiles', 0):.0f}",
        f"{st.get('publish', 0):.0f}",
        f"{first.records_per_s or 0:,.0f}",
        f"{first.measured.peak_rss_tree_mb / 1024:.2f} GB",
        f"{first.db_size_mb / 1024:.2f} GB",
    ]
    for later in r.runs[1:]:
        cells.append(f"{later.measured.wall_s:.0f} s")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", "-n", type=int, required=True, help="Companies in the sandbox.")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help="Storage backend.")
    parser.add_argument("--seed", type=int, default=SEED, help="Sandbox seed (default: the sandbox default).")
    parser.add_argument(
        "--cache-dir", type=Path, default=REPO / "bench" / "out" / "e2e", help="Where generated sandboxes are kept."
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="Fresh var dir parent (default: <cache-dir>/work-<db>-<n>)."
    )
    parser.add_argument("--pg-host", default="127.0.0.1", help="PostgreSQL host (user postgres, port 5432).")
    parser.add_argument("--change-share", type=float, default=0.01, help="Share of records changed before run 3.")
    parser.add_argument("--no-incremental", action="store_true", help="Only the first run from the empty database.")
    parser.add_argument("--regenerate", action="store_true", help="Generate the sandbox even if one is cached.")
    parser.add_argument("--keep", action="store_true", help="Keep the work dir and the PostgreSQL database.")
    parser.add_argument("--poll", type=float, default=0.5, help="RSS polling interval in seconds.")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="Where the JSON result goes.")
    args = parser.parse_args()

    base_env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    base_env.pop("CREDITHUB_DATABASE_URL", None)
    base_env.pop("CREDITHUB_SOURCES_CONFIG", None)
    cache = args.cache_dir / f"sandbox-{args.companies}-{args.seed}"
    args.cache_dir.mkdir(parents=True, exist_ok=True)

    generation: Measured | None = None
    if args.regenerate or not sandbox_matches(cache, args.companies, args.seed):
        log(f"generating the sandbox: {args.companies:,} companies → {cache}")
        command = [str(CREDITHUB), "sandbox", "generate", "-n", str(args.companies), "--seed", str(args.seed)]
        generation = measure([*command, "--out", str(cache)], base_env, args.poll, log_to=args.cache_dir / "gen.log")
        if generation.exit_code != 0:
            raise SystemExit(f"sandbox generation failed, see {args.cache_dir / 'gen.log'}")
        log(f"generated in {generation.wall_s:.1f} s, peak RSS {generation.peak_rss_tree_mb:,.0f} MB")
    else:
        log(f"reusing the sandbox in {cache}")
    manifest = json.loads((cache / "manifest.json").read_text("utf-8"))
    records = sum(sum(s.values()) for s in manifest["counts"].values())

    work = args.work_dir or args.cache_dir / f"work-{args.db}-{args.companies}"
    if work.exists():
        shutil.rmtree(work)
    (work / "var").mkdir(parents=True)
    log(f"copying the sandbox into {work / 'var' / 'sandbox'} (not timed)")
    shutil.copytree(cache, work / "var" / "sandbox")

    env = {**base_env, "CREDITHUB_VAR_DIR": str(work / "var")}
    url = ""
    if args.db == "postgresql":
        name = f"credithub_bench_{args.companies}"
        pg_admin(args.pg_host, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        pg_admin(args.pg_host, f"CREATE DATABASE {name}")
        url = f"postgresql+psycopg://postgres@{args.pg_host}:5432/{name}"
        env["CREDITHUB_DATABASE_URL"] = url

    result = E2EResult(
        companies=args.companies,
        seed=args.seed,
        db=args.db,
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        commit=git("rev-parse", "--short", "HEAD"),
        dirty=bool(git("status", "--porcelain", "--untracked-files=no")),
        machine={
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        sandbox_records=records,
        records_per_company=round(records / args.companies, 3),
        sandbox_bytes=dir_bytes(cache),
        generation=generation,
        generation_cached_from=None if generation else str(cache),
    )
    try:
        result.runs.append(run_once("first", env, work, args, url))
        if not args.no_incremental:
            result.runs.append(run_once("nothing_new", env, work, args, url))
            log(f"advancing the sandbox one day with {args.change_share:.0%} of records changed")
            advance_cmd = [str(CREDITHUB), "sandbox", "advance", "--dir", str(work / "var" / "sandbox")]
            result.advance = measure([*advance_cmd, "--change-share", str(args.change_share)], base_env, args.poll)
            after = json.loads((work / "var" / "sandbox" / "manifest.json").read_text("utf-8"))
            result.changed_records = sum(sum(s.values()) for s in after.get("last_changed", {}).values())
            log(f"advanced in {result.advance.wall_s:.1f} s: {result.changed_records:,} records changed")
            result.runs.append(run_once("one_percent_changed", env, work, args, url))
        result.machine["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = args.results_dir / f"{args.db}-{args.companies}-{stamp}.json"
        out.write_text(result.model_dump_json(indent=2), encoding="utf-8")
        log(f"result written to {out}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            if args.db == "postgresql":
                pg_admin(args.pg_host, f"DROP DATABASE IF EXISTS credithub_bench_{args.companies} WITH (FORCE)")
    if result.runs:
        head = [
            "companies", "db", "records", "generation", "first run", "sync+validate s", "resolve s",
            "profiles s", "publish s", "records/s", "peak RSS", "DB size",
        ]  # fmt: skip
        head += ["nothing new", "1 % changed"][: len(result.runs) - 1]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        print(markdown_row(result))


if __name__ == "__main__":
    main()
