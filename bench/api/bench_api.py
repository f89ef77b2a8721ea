"""Public API over HTTP on a large embedded index: throughput, latency, and /match speed.

    .venv/bin/python -m bench.api.bench_api --profiles 200000 --work-dir /tmp/chapi --duration 20

Phases (all on 127.0.0.1, bounded in time and count):
  1. setup: synthetic profiles (bench.search.synth, with three events each) written to a
     SQLite database as entities + profiles, then publish_profiles(full=True) into the
     embedded tantivy index (what the pipeline does after a run);
  2. the API under uvicorn in its own process (--workers N);
  3. wrk (Debian package) closed-loop with a Lua script cycling a mixed request list:
     searches by exact/typo/traditional name, by USCC and hyphenated org code, profile
     pages, timelines and identifier lookups -> max requests/s and latency percentiles;
  4. an open-loop generator (asyncio + httpx) at a fixed rate (default 300 req/s) over
     the same mix -> p50/p95/p99 at that rate (no coordinated omission: latency is measured
     from each request's scheduled start);
  5. /api/v1/match: names matched per second per core, in-process (one thread) and over
     HTTP (100 names per request, server CPU time read from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.progress import Progress
from sqlalchemy import func, insert, select

from bench.search.synth import Company, companies, profile, variants
from credithub.domain import Profile, ProfileEvent, Provenance
from credithub.hashing import content_hash
from credithub.pipeline.publish import publish_profiles
from credithub.search.embedded import EmbeddedBackend
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import Entity, ProfileRow

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 5000
SAMPLE_EVERY = 97


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _with_events(c: Company, today: dt.date) -> Profile:
    p = profile(c)
    rng = random.Random(c.index)
    prov = lambda dept, ds, rid: Provenance(department=dept, dataset=ds, batch_id=1 + c.index % 50, source_record_id=rid)  # noqa: E731
    events = [
        ProfileEvent(event_type="tax_rating", date=dt.date(today.year - 1, 4, 1), title="纳税信用A级", severity="positive",
                     attributes={"rating": "A", "year": today.year - 2}, provenance=prov("tax", "tax_ratings", f"T{c.index}")),
        ProfileEvent(event_type="spot_check", date=today - dt.timedelta(days=rng.randrange(1, 900)), title="产品质量抽查：合格",
                     attributes={"product": "电线电缆", "result": "合格"}, provenance=prov("quality_supervision", "spot_checks", f"Q{c.index}")),
        ProfileEvent(event_type="administrative_penalty", date=today - dt.timedelta(days=rng.randrange(1, 500)), title="行政处罚：未按规定公示年度报告",
                     severity="general", attributes={"case_no": f"深市监罚〔2026〕{c.index}号", "amount": 5000, "contact_phone": "13812345678"},
                     private_fields=["amount"], provenance=prov("market_regulation", "penalties", f"P{c.index}")),
    ]
    return p.model_copy(update={"events": events})


def setup(work: Path, n: int) -> tuple[Settings, list[Company], dict[str, float]]:
    settings = Settings(var_dir=work / "var", rate_limit_per_minute=100_000_000)
    db = Database(settings.resolved_database_url)
    db.migrate()
    timings: dict[str, float] = {}
    sampled: list[Company] = []
    with db.session() as s:
        have = s.scalar(select(func.count()).select_from(ProfileRow)) or 0
    today = dt.date.today()
    if have != n:
        start = time.perf_counter()
        with Progress() as progress:
            task = progress.add_task("profiles -> database", total=n)
            ents: list[dict[str, Any]] = []
            rows: list[dict[str, Any]] = []
            for c in companies(n):
                p = _with_events(c, today)
                data = p.model_dump(mode="json")
                ents.append({"id": p.entity_id, "status": "active", "dirty": False})
                rows.append({"entity_id": p.entity_id, "data": data, "content_hash": content_hash(data), "version": 1})
                if c.index % SAMPLE_EVERY == 0:
                    sampled.append(c)
                if len(rows) >= CHUNK:
                    with db.session() as s:
                        s.execute(insert(Entity), ents)
                        s.execute(insert(ProfileRow), rows)
                    progress.update(task, advance=len(rows))
                    ents, rows = [], []
            if rows:
                with db.session() as s:
                    s.execute(insert(Entity), ents)
                    s.execute(insert(ProfileRow), rows)
                progress.update(task, advance=len(rows))
        timings["database_s"] = time.perf_counter() - start
        start = time.perf_counter()
        backend = EmbeddedBackend(settings.index_dir)
        report = publish_profiles(db, settings, backend, full=True)
        backend.close()
        timings["publish_full_s"] = time.perf_counter() - start
        timings["published"] = report.upserted
    else:
        sampled = [c for c in companies(n) if c.index % SAMPLE_EVERY == 0]
    db.dispose()
    return settings, sampled, timings


def request_mix(sampled: list[Company], count: int, seed: int = 5) -> list[tuple[str, str]]:
    """(kind, path) pairs: 38% name searches, 12% identifier searches, 30% profiles, 10% timelines, 10% lookups."""
    rng = random.Random(seed)
    paths: list[tuple[str, str]] = []
    for _ in range(count):
        c = rng.choice(sampled)
        v = variants(c, rng)
        eid = f"E{c.index:08d}"
        kind = rng.random()
        label, q = "", None
        if kind < 0.15:
            label, q = "search_name_exact", v["exact"]
        elif kind < 0.30:
            label, q = "search_name_typo", v["typo"]
        elif kind < 0.38:
            label, q = "search_name_traditional", v["traditional"]
        elif kind < 0.45:
            label, q = "search_uscc", c.uscc
        elif kind < 0.50:
            label, q = "search_org_code_hyphen", f"{c.org[:8]}-{c.org[8]}"
        if q is not None:
            paths.append((label, "/api/v1/companies?" + str(httpx.QueryParams({"q": q}))))
        elif kind < 0.80:
            paths.append(("profile", f"/api/v1/companies/{eid}"))
        elif kind < 0.90:
            paths.append(("events", f"/api/v1/companies/{eid}/events?size=20"))
        else:
            paths.append(("lookup", "/api/v1/lookup?" + str(httpx.QueryParams({"id": c.uscc.lower()}))))
    return paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(settings: Settings, workers: int, nice: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn in its own process group; `nice` lowers its priority so that the load generator,
    which shares the same cores, still sends each request on time (a starved generator reports its
    own lateness as server latency)."""
    port = _free_port()
    env = {**os.environ, "CREDITHUB_VAR_DIR": str(settings.var_dir), "CREDITHUB_RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, start_new_session=True, preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("API server did not become ready")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def warm(base: str, paths: list[str]) -> None:
    """Warm every worker: a new connection per request lands on any worker (shared listen socket)."""
    with httpx.Client(base_url=base, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as c:
        for p in paths[:600]:
            c.get(p)


LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests": %%d, "duration_us": %%d, "errors_status": %%d, "errors_other": %%d, "p50_ms": %%.3f, "p95_ms": %%.3f, "p99_ms": %%.3f, "max_ms": %%.3f}\\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def run_wrk(base: str, paths: list[str], work: Path, connections: int, duration: int) -> dict[str, Any]:
    paths_file = work / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    script = work / "mix.lua"
    script.write_text(LUA % paths_file, encoding="utf-8")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(script), base]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    data["rps"] = round(data["requests"] / (data["duration_us"] / 1e6), 1)
    data["command"] = " ".join(cmd)
    data["connections"] = connections
    return data


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> int:
    """One keep-alive HTTP/1.1 GET on an open connection; returns the status code."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:")), 0)
    if length:
        await reader.readexactly(length)
    return status


async def _open_loop(base: str, mix: list[tuple[str, str]], rate: float, duration: float, connections: int = 64) -> dict[str, Any]:
    """Fixed-rate load: request i is due at t0 + i/rate whatever happened before (no coordinated
    omission); latency counts from the due time, so queueing in the client is included.
    A raw asyncio HTTP/1.1 client keeps the generator's own CPU cost far below httpx's."""
    host = base.removeprefix("http://")
    h, port = host.split(":")
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(h, int(port)))
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors = 0
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
    clock = time.perf_counter
    total = int(rate * duration)
    t0 = clock() + 0.1

    async def one(i: int) -> None:
        nonlocal errors
        due = t0 + i / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        kind, path = mix[i % len(mix)]
        conn = await pool.get()
        try:
            if await _get(*conn, host, path) >= 400:
                errors += 1
            pool.put_nowait(conn)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            conn[1].close()
            pool.put_nowait(await asyncio.open_connection(h, int(port)))
        latency = (clock() - due) * 1000
        latencies.append(latency)
        by_kind.setdefault(kind, []).append(latency)

    tasks = []
    for i in range(total):
        tasks.append(asyncio.create_task(one(i)))
        if i % 200 == 0:
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    elapsed = clock() - t0
    while not pool.empty():
        pool.get_nowait()[1].close()
    return {
        "target_rps": rate,
        "achieved_rps": round(len(latencies) / elapsed, 1),
        "duration_s": duration,
        "connections": connections,
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(_pct(latencies, 50), 2),
        "p95_ms": round(_pct(latencies, 95), 2),
        "p99_ms": round(_pct(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "by_kind": {k: {"n": len(v), "p50_ms": round(_pct(v, 50), 2), "p95_ms": round(_pct(v, 95), 2)} for k, v in sorted(by_kind.items())},
    }


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children (uvicorn workers) from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def match_in_process(settings: Settings, names: list[str]) -> dict[str, Any]:
    from api.app import create_app
    from api.public.models import MatchQuery

    app = create_app(settings)
    service = app.state.public_service
    for n in names[:50]:
        service.match_one(MatchQuery(name=n))
    hits = 0
    start_cpu, start = time.process_time(), time.perf_counter()
    for n in names:
        hits += bool(service.match_one(MatchQuery(name=n)).candidates)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    app.state.backend.close()
    app.state.db.dispose()
    return {"names": len(names), "wall_s": round(wall, 2), "names_per_s": round(len(names) / wall, 1),
            "names_per_cpu_s": round(len(names) / cpu, 1), "with_candidates": hits}


def match_http(base: str, proc: subprocess.Popen[bytes], names: list[str]) -> dict[str, Any]:
    batches = [names[i : i + 100] for i in range(0, len(names), 100)]
    cpu0 = _cpu_seconds(proc.pid)
    start = time.perf_counter()
    top_ok = 0
    with httpx.Client(base_url=base, timeout=60) as c:
        for batch in batches:
            resp = c.post("/api/v1/match", json={"queries": [{"name": n} for n in batch]})
            resp.raise_for_status()
            top_ok += sum(1 for r in resp.json()["results"] if r["candidates"])
    wall = time.perf_counter() - start
    cpu = _cpu_seconds(proc.pid) - cpu0
    return {"names": len(names), "requests": len(batches), "wall_s": round(wall, 2), "names_per_s": round(len(names) / wall, 1),
            "server_cpu_s": round(cpu, 2), "names_per_server_cpu_s": round(len(names) / cpu, 1) if cpu else None,
            "with_candidates": top_ok}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", type=int, default=200_000)
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/credithub-bench-api"))
    ap.add_argument("--duration", type=int, default=20, help="seconds per load phase")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--rate", type=float, nargs="+", default=[300.0], help="open-loop requests per second")
    ap.add_argument("--match-names", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None, help="write the JSON result here")
    ap.add_argument("--server-nice", type=int, default=5,
                    help="nice value for the API server (the generator keeps normal priority); 0 to disable")
    ap.add_argument("--setup-only", action="store_true",
                    help="write the database and publish the index, then stop (load phases reuse them later)")
    args = ap.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)

    settings, sampled, timings = setup(args.work_dir, args.profiles)
    if args.setup_only:
        print(json.dumps({"profiles": args.profiles, "setup": timings}))
        return
    mix = request_mix(sampled, 5000)
    paths = [p for _, p in mix]
    rng = random.Random(9)
    names = [variants(rng.choice(sampled), rng)[rng.choice(["exact", "typo", "traditional", "region_dropped"])] for _ in range(args.match_names)]
    result: dict[str, Any] = {
        "profiles": args.profiles,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(), "processor": platform.processor() or platform.machine()},
        "setup": timings,
        "workers": args.workers,
    }
    result["match_in_process"] = match_in_process(settings, names[:1000])
    try:  # the generator's event loop: uvloop (installed with uvicorn[standard]) costs less CPU per request
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    result["server_nice"] = args.server_nice
    proc, base = start_server(settings, args.workers, args.server_nice)
    try:
        warm(base, paths)
        result["wrk"] = [run_wrk(base, paths, args.work_dir, c, args.duration) for c in args.connections]
        result["open_loop"] = [asyncio.run(_open_loop(base, mix, rate, args.duration)) for rate in args.rate]
        no_names = [m for m in mix if not m[0].startswith("search_name")]
        result["open_loop_without_name_search"] = [asyncio.run(_open_loop(base, no_names, rate, args.duration)) for rate in args.rate]
        result["match_http"] = match_http(base, proc, names)
    finally:
        stop_server(proc)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
