"""`advance` moves a sandbox a day forward; incremental reads find exactly the day's changes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from connectors.departments import BUILTIN
from connectors.sdk.base import SourceRow, StateCheckpoint
from credithub.sandbox import advance, generate, load_manifest, sources_config
from credithub.sandbox.server import serve_sandbox

CONNECTORS = {c.name: c for c in BUILTIN}


def _read(stream: Any, state: Any) -> tuple[list[SourceRow], Any]:
    rows, last = [], state
    for msg in stream.read(state):
        if isinstance(msg, SourceRow):
            rows.append(msg)
        elif isinstance(msg, StateCheckpoint):
            last = msg.state
    return rows, last


def test_next_day_changes_reach_incremental_reads(tmp_path: Path) -> None:
    out = tmp_path / "sbx"
    before = generate(out, 120, 31)
    streams = [
        ("market_regulation", "register"),
        ("market_regulation", "abnormal_operations"),
        ("tax", "arrears"),
        ("quality_supervision", "spot_checks"),
        ("transport", "ratings"),
    ]
    with serve_sandbox(out) as server:
        configs = sources_config(out, server.base_urls)
        states, first_ids = {}, {}
        for dept, name in streams:
            stream = CONNECTORS[dept](configs[dept]).stream(name)
            rows, states[(dept, name)] = _read(stream, None)
            first_ids[(dept, name)] = {r.record_id for r in rows}

        after = advance(out)
        assert after.days_advanced == 1 and load_manifest(out).days_advanced == 1
        # The running server serves the rewritten API files.
        key = {"X-API-Key": after.api_keys["tax"]}
        body = httpx.get(server.base_urls["tax"] + "/arrears", params={"page_size": 1000}, headers=key).json()
        assert body["total"] == after.counts["tax"]["arrears"] == before.counts["tax"]["arrears"] + 2

        new_rows = {}
        for dept, name in streams:
            stream = CONNECTORS[dept](configs[dept]).stream(name)
            rows, _ = _read(stream, states[(dept, name)])
            new_rows[(dept, name)] = rows
    truth = {
        (t["department"], t["stream"], t["source_record_id"])
        for t in map(json.loads, (out / "ground_truth.jsonl").read_text("utf-8").splitlines())
    }

    register = new_rows[("market_regulation", "register")]
    assert register and all(r.record_id in first_ids[("market_regulation", "register")] for r in register)
    assert all(r.data["DJZT"] in {"吊销", "注销"} for r in register)
    abnormal = {r.record_id for r in new_rows[("market_regulation", "abnormal_operations")]}
    assert len(abnormal - first_ids[("market_regulation", "abnormal_operations")]) == 3
    assert len(abnormal & first_ids[("market_regulation", "abnormal_operations")]) >= 1  # removed from the list
    assert len({r.record_id for r in new_rows[("tax", "arrears")]} - first_ids[("tax", "arrears")]) == 2
    spot = new_rows[("quality_supervision", "spot_checks")]
    assert len(spot) == 3 and all(r.location.startswith("spot_checks_2026-11-02.csv") for r in spot)
    assert {r.record_id for r in new_rows[("transport", "ratings")]} <= first_ids[("transport", "ratings")]
    for (dept, name), rows in new_rows.items():
        assert {(dept, name, r.record_id) for r in rows} <= truth

    conn = sqlite3.connect(out / "market_regulation" / "scjg.db")
    removed = conn.execute("SELECT COUNT(*) FROM jyyc_ml WHERE YCRQ = '2026-11-02'").fetchone()[0]
    conn.close()
    assert removed >= 1
    assert advance(out).days_advanced == 2


def test_generating_again_replaces_earlier_files(tmp_path: Path) -> None:
    out = tmp_path / "sbx"
    generate(out, 40, 1)
    advance(out)
    assert (out / "quality_supervision" / "spot_checks_2026-11-02.csv").exists()
    again = generate(out, 30, 2)
    assert not (out / "quality_supervision" / "spot_checks_2026-11-02.csv").exists()
    assert again.days_advanced == 0
    listed = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.parent != out}
    assert listed == {f for files in again.paths.values() for f in files}
