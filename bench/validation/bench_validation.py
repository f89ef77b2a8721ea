"""Validation throughput: a 1,000,000-row market_regulation/register batch through its full suite.

Measures the validation engine (DataFrame -> per-row failures: GX get_batch + ONE validate
call on the fast path + mapping failures back to rows), and separately the frame build from
staged dicts. Peak RSS is the process high-water mark (ru_maxrss).

    .venv/bin/python -m bench.validation.bench_validation --rows 1000000 --bad 0.005
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time

import numpy as np
import pandas as pd

from credithub.settings import Settings
from credithub.validation.engine import build_frame, run_suite
from credithub.validation.identifier_checks import USCC_ALPHABET
from credithub.validation.parallel import run_suite_parallel
from credithub.validation.suites import load_suite

STATUSES = np.array(["存续", "在业", "吊销", "注销", "迁出"], dtype=object)


def _uscc_column(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid USCCs, check character computed vectorised (GB 32100 weights)."""
    alphabet = np.array(list(USCC_ALPHABET))
    head = rng.integers(0, 10, size=(n, 8))
    tail = rng.integers(0, 31, size=(n, 9))
    vals = np.concatenate([head, tail], axis=1)
    weights = np.array([pow(3, i, 31) for i in range(17)])
    check = (31 - (vals @ weights) % 31) % 31
    chars = alphabet[np.concatenate([vals, check[:, None]], axis=1)]
    return np.array(["".join(r) for r in chars], dtype=object)


def _reg_no_column(rng: np.random.Generator, n: int) -> np.ndarray:
    d = rng.integers(0, 10, size=(n, 14))
    p = np.full(n, 10)
    for i in range(14):
        t = (p + d[:, i]) % 10
        t = np.where(t == 0, 10, t)
        p = (2 * t) % 11
    check = (11 - p) % 10
    digits = np.concatenate([d, check[:, None]], axis=1).astype(str)
    return np.array(["".join(r) for r in digits], dtype=object)


def make_frame(n: int, bad: float, seed: int = 1) -> tuple[pd.DataFrame, int]:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 9000, size=n)
    est = (np.datetime64("1995-01-01") + days.astype("timedelta64[D]")).astype(str)
    upd = (np.datetime64("2025-06-01") + rng.integers(0, 100, size=n).astype("timedelta64[D]")).astype(str)
    frame = pd.DataFrame({
        "record_id": np.char.add("MR-", np.arange(n).astype(str)).astype(object),
        "uscc": _uscc_column(rng, n),
        "reg_no": np.where(rng.random(n) < 0.3, _reg_no_column(rng, n), None).astype(object),
        "name": np.char.add("深圳市测试", np.char.add(np.arange(n).astype(str), "科技有限公司")).astype(object),
        "status": STATUSES[rng.integers(0, 5, size=n)],
        "registered_capital": np.round(rng.random(n) * 10000, 2).astype(str).astype(object),
        "established": est.astype(object),
        "updated_at": np.char.add(upd, "T09:30:00").astype(object),
    })
    n_bad = int(n * bad)
    idx = rng.choice(n, size=n_bad, replace=False)
    kinds = np.array_split(idx, 5)
    frame.loc[kinds[0], "uscc"] = frame.loc[kinds[0], "uscc"].str.slice(0, 17) + "Z"
    frame.loc[kinds[1], "status"] = "正常"
    frame.loc[kinds[2], "established"] = "2999-01-01"
    frame.loc[kinds[3], "registered_capital"] = "-5"
    frame.loc[kinds[4], "name"] = None
    return frame, n_bad


def _status_mb(field: str) -> int:
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return -1


def _reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM, so the peak covers only what follows."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--bad", type=float, default=0.005, help="Share of rows made invalid.")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--with-dicts", action="store_true", help="Also time building the frame from staged dicts.")
    ap.add_argument("--workers", type=int, default=1,
                    help="Processes (hash partitions by record_id); 0 = one per core; 1 = single process (the default, as Settings.validation_workers).")
    args = ap.parse_args()

    suite = load_suite(Settings().expectations_dir, "market_regulation", "register")
    frame, n_bad = make_frame(args.rows, args.bad)
    frame = frame.astype(object)  # as build_frame() delivers staged rows
    run_suite(suite, frame.head(1000).copy())  # warm-up: imports, metric registry
    import gc

    gc.collect()
    rss_before = _status_mb("VmRSS")
    peak_reset = _reset_peak_rss()
    timings = []
    cpu = []
    outcome = None
    for _ in range(args.repeat):
        t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
        if args.workers == 1:
            outcome = run_suite(suite, frame)
        else:
            outcome = run_suite_parallel(suite, frame, key="record_id", workers=args.workers or None)
        timings.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c + _children_cpu() - k)
    assert outcome is not None
    peak_engine = _status_mb("VmHWM")
    result = {
        "rows": args.rows, "expectations": len(suite.expectations), "bad_rows_injected": n_bad,
        "failed_rows_found": outcome.failed_rows, "engine_seconds": [round(x, 2) for x in timings],
        "engine_rows_per_s_best": int(args.rows / min(timings)),
        "engine_rows_per_s_median": int(args.rows / sorted(timings)[len(timings) // 2]),
        # CPU time (this process + its workers) shows the cost independent of other load on a
        # shared machine; rows / (CPU / workers) is the throughput the same work gives on idle cores.
        "engine_cpu_seconds": [round(x, 2) for x in cpu],
        "cpu_bound_rows_per_s": int(args.rows / (min(cpu) / (args.workers or len(__import__("os").sched_getaffinity(0))))),
        "load_average_1m": round(__import__("os").getloadavg()[0], 2),
    }
    result["rss_before_engine_mb"] = rss_before
    result["peak_rss_during_engine_mb"] = peak_engine if peak_reset else None
    if args.with_dicts:
        records = frame.to_dict("records")
        t = time.perf_counter()
        build_frame(records, list(frame.columns))
        result["build_frame_seconds"] = round(time.perf_counter() - t, 2)
        del records
    result["workers"] = args.workers or len(__import__("os").sched_getaffinity(0))
    result["peak_rss_process_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["peak_rss_largest_worker_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    result["machine"] = f"{platform.processor() or platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}"
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
