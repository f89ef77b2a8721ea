"""Connector transport throughput and memory: CSV file drop and paged JSON API.

    .venv/bin/python -m bench.connectors.bench_connectors --sizes 100000 1000000

Each measurement runs in its own child process, so peak RSS (ru_maxrss) is that of one read
only. The API is served by a separate process that generates pages on the fly (its memory is not
counted). A read = every SourceRow through the transport plus Stream.stage(), as the sync stage does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

REPO = Path(__file__).resolve().parents[2]
HEADER = "抽查编号,企业名称,组织机构代码,产品,抽查日期,结果,问题,更新时间\n"


def csv_line(i: int) -> str:
    return (
        f"C{i:08d},深圳市测试{i}电子科技有限公司,{10000000 + i % 89999999}-X,电线电缆,2026-{1 + i % 12:02d}-{1 + i % 28:02d},"
        f"{'合格' if i % 7 else '不合格'},{'' if i % 7 else '绝缘电阻不合格'},2026-11-01T08:00:00\n"
    )


def api_record(i: int) -> dict[str, Any]:
    return {
        "record_id": f"T{i:08d}",
        "taxpayer_id": f"91440300MA5{i:07d}"[:18],
        "name": f"深圳市测试{i}电子科技有限公司",
        "year": 2025,
        "rating": "ABMCD"[i % 5],
        "updated_at": f"2026-11-01T{i // 3600000 % 24:02d}:00:00",
    }


def write_csv(path: Path, n: int) -> None:
    with path.open("wb") as f:
        f.write(HEADER.encode("gbk"))
        chunk: list[str] = []
        for i in range(n):
            chunk.append(csv_line(i))
            if len(chunk) == 10000:
                f.write("".join(chunk).encode("gbk"))
                chunk = []
        f.write("".join(chunk).encode("gbk"))


def serve_api(n: int) -> None:
    """Child process: a paged API over n generated records (page/page_size)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            page, size = int(q.get("page", 1)), int(q.get("page_size", 1000))
            start = (page - 1) * size
            data = [api_record(i) for i in range(start, min(n, start + size))]
            body = json.dumps({"data": data, "total": n}, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def measure(kind: str, source: str) -> dict[str, Any]:
    """Child process: read everything once, report rows, faults, seconds and peak RSS."""
    from connectors.sdk import (
        CsvFileStream,
        DeclarativeConnector,
        FileDropConfig,
        HttpEndpoint,
        HttpJsonStream,
        HttpSourceConfig,
    )

    class Checks(CsvFileStream):
        name = "spot_checks"
        pattern = "*.csv"
        fields: ClassVar = {c: c for c in HEADER.strip().split(",")}
        primary_key = "抽查编号"
        cursor_field = "更新时间"

        def to_canonical(self, staged: Any) -> Any:
            raise NotImplementedError

    class Ratings(HttpJsonStream):
        name = "tax_ratings"
        fields: ClassVar = {k: k for k in api_record(0)}
        primary_key = "record_id"
        cursor_field = "updated_at"
        endpoint = HttpEndpoint(path="/ratings", paging="page", total_path="total", since_param="updated_since")

        def to_canonical(self, staged: Any) -> Any:
            raise NotImplementedError

    class FileConn(DeclarativeConnector):
        name = "bench_csv"
        title = "bench"
        config_model = FileDropConfig
        streams = (Checks,)

    class ApiConn(DeclarativeConnector):
        name = "bench_api"
        title = "bench"
        config_model = HttpSourceConfig
        streams = (Ratings,)

    if kind == "csv":
        stream = FileConn({"directory": source, "encoding": "gbk"}).stream("spot_checks")
    else:
        stream = ApiConn({"base_url": source, "page_size": 1000}).stream("tax_ratings")
    rows = faults = 0
    rss_samples = []
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru0.ru_utime + ru0.ru_stime
    start = time.perf_counter()
    for msg in stream.read(None):
        if msg.kind == "row":
            stream.stage(msg.data)  # type: ignore[union-attr]
            rows += 1
            if rows % 100000 == 0:
                rss_samples.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        elif msg.kind == "fault":
            faults += 1
    secs = time.perf_counter() - start
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu = ru.ru_utime + ru.ru_stime - cpu0
    return {
        "transport": kind,
        "rows": rows,
        "faults": faults,
        "seconds": round(secs, 2),
        "records_per_s": round(rows / secs),
        "cpu_seconds": round(cpu, 2),
        "records_per_cpu_s": round(rows / cpu),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "rss_mb_every_100k": rss_samples,
    }


def run_child(kind: str, source: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.connectors.bench_connectors", "--child", kind, source],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--only", choices=["csv", "api"], default=None)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="Also write the results here.")
    args = ap.parse_args()
    if args.serve:
        serve_api(args.serve)
        return
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-connectors-") as tmp:
        for n in args.sizes:
            if args.only in (None, "csv"):
                d = Path(tmp) / f"csv{n}"
                d.mkdir()
                write_csv(d / "spotchecks.csv", n)
                r = run_child("csv", str(d))
                r["size_mb"] = round((d / "spotchecks.csv").stat().st_size / 2**20, 1)
                results.append(r)
                print(json.dumps(r, ensure_ascii=False), flush=True)
            if args.only in (None, "api"):
                server = subprocess.Popen(
                    [sys.executable, "-m", "bench.connectors.bench_connectors", "--serve", str(n)],
                    cwd=REPO, stdout=subprocess.PIPE, text=True,
                )
                try:
                    assert server.stdout is not None
                    port = int(server.stdout.readline())
                    r = run_child("api", f"http://127.0.0.1:{port}/api")
                finally:
                    server.terminate()
                    server.wait()
                results.append(r)
                print(json.dumps(r, ensure_ascii=False), flush=True)
    meta = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine()}
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
