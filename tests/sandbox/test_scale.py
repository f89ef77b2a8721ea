"""Generation at any size: bounded-memory building blocks, spilled output identical to in-memory output,
a constant mix of records per company, and a day on which a given share of records changes."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from pathlib import Path

import pytest

from credithub.sandbox import advance, generate, load_manifest, sources_config
from credithub.sandbox import population as pop_module
from credithub.sandbox import store
from credithub.sandbox.changes import API_STREAMS, SQL_STREAMS, _allocate
from credithub.sandbox.formats import write_api_records
from credithub.sandbox.population import _UsedNames, _new_name
from credithub.sandbox.server import serve_sandbox
from credithub.sandbox.store import CompanyFile, Population, Spool, iter_api_records, sorted_rows


def _rows(n: int, seed: int = 1) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        shared = f"D{rng.randrange(10**6):06d}"
        # The same string object twice in one row: pickle memoises it, which once broke a shared unpickler.
        out.append({"id": shared, "certNo": shared, "updatedAt": f"2025-0{rng.randint(1, 9)}-01", "n": i})
    return out


def test_spool_spills_to_disk_and_reads_back_every_row_in_order(tmp_path: Path) -> None:
    rows = _rows(250)
    spool = Spool(spill_rows=40, tmp_dir=tmp_path)
    for r in rows:
        spool.append(r)
    assert len(spool) == 250
    assert any(tmp_path.iterdir())  # on disk now
    assert list(spool) == rows
    assert list(spool) == rows  # a second pass reads the same
    spool.close()


def test_sorted_rows_matches_a_stable_in_memory_sort() -> None:
    rows = _rows(1000, seed=2)

    def key(r: dict[str, object]) -> str:
        return str(r["updatedAt"])

    expected = sorted(rows, key=key)
    assert list(sorted_rows(rows, key=key, run_rows=64)) == expected  # 16 runs merged
    assert list(sorted_rows(rows, key=key)) == expected  # one run in memory
    assert list(sorted_rows([], key=key, run_rows=3)) == []


def test_api_records_stream_back_exactly(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"id": "1", "name": "深圳市华信科技有限公司", "note": "两行\n文字", "n": 1.5, "gone": None},
        {"id": "2", "name": 'quote " and }', "n": 2},
    ]
    path = tmp_path / "s.json"
    write_api_records(path, rows)
    assert path.read_text("utf-8") == json.dumps(rows, ensure_ascii=False, indent=0)
    assert list(iter_api_records(path)) == rows
    write_api_records(path, [])
    assert path.read_text("utf-8") == "[]" and list(iter_api_records(path)) == []


def test_company_file_reads_any_company_and_writes_changes_back(tmp_path: Path) -> None:
    out = generate(tmp_path / "s", 40, 9).out_dir
    path = out / "companies.jsonl"
    lines = path.read_text("utf-8").splitlines()
    file = CompanyFile.scan(path)
    people = Population(file, 0, 40)
    assert len(file) == len(lines) == 42  # 40 companies and 2 outside companies
    assert [c.model_dump_json() for c in people] == lines[:40]
    assert people[17].model_dump_json() == lines[17] and people[-1].company_id == "C00040"
    assert people.position("C00018") == 17 and people.position("X0001") is None
    c = people[3]
    c.status = "注销"
    people.replace(3, c)
    assert people.status_of(3) == "注销" and people[3].status == "注销"
    file.write_to(tmp_path / "copy.jsonl")
    copied = (tmp_path / "copy.jsonl").read_text("utf-8").splitlines()
    assert copied[3] == c.model_dump_json() and copied[:3] == lines[:3] and copied[4:] == lines[4:]
    file.close()


def _digest(root: Path) -> dict[str, str]:
    # XLSX are zip files whose metadata may differ; everything compared here is byte content.
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix != ".xlsx" and p.name != "manifest.json"
    }


def test_output_spilled_to_disk_is_identical_to_output_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_memory = generate(tmp_path / "mem", 400, 21)
    monkeypatch.setattr(store, "SPILL_ROWS", 7)
    monkeypatch.setattr(store, "SORT_RUN_ROWS", 11)
    spilled = generate(tmp_path / "disk", 400, 21)
    assert spilled.counts == in_memory.counts
    assert _digest(tmp_path / "disk") == _digest(tmp_path / "mem")


def test_records_per_company_stay_the_same_at_every_size(tmp_path: Path) -> None:
    small = generate(tmp_path / "a", 1000, 5)
    large = generate(tmp_path / "b", 4000, 5)
    ratio_small, ratio_large = small.total() / 1000, large.total() / 4000
    assert 4.2 < ratio_large < 4.9
    assert abs(ratio_small - ratio_large) / ratio_large < 0.05
    for dept, streams in large.counts.items():
        for stream, n in streams.items():
            # Each stream keeps its share of the records (small streams are noisier).
            share_small = small.counts[dept][stream] / small.total()
            share_large = n / large.total()
            assert abs(share_small - share_large) < max(0.3 * share_large, 0.004), (dept, stream)


def test_a_city_sized_population_moves_on_to_three_character_trade_names(monkeypatch: pytest.MonkeyPatch) -> None:
    used = _UsedNames()
    rng = random.Random(3)
    two = [_new_name(rng, used, lambda: "科技") for _ in range(50)]
    assert all(len(t) <= 3 for t, _ in two)
    monkeypatch.setattr(pop_module, "_COMPOSED_FULL", 0)  # as if half the two-character names were taken
    three = [_new_name(rng, used, lambda: "科技") for _ in range(2000)]
    assert all(len(t) == 3 for t, _ in three)
    assert len(set(three)) == 2000 and not set(three) & set(two)


def test_allocation_is_exact_and_proportional() -> None:
    sizes = {("a", "x"): 700, ("a", "y"): 200, ("b", "z"): 100}
    plan = _allocate(0.01, 5000, sizes)
    assert sum(plan.values()) == 50
    assert plan == {("a", "x"): 35, ("a", "y"): 10, ("b", "z"): 5}
    assert sum(_allocate(1.0, 5000, sizes).values()) == 1000  # never more than the streams hold


def test_one_percent_of_records_change_and_incremental_reads_see_them(tmp_path: Path) -> None:
    from connectors.departments import BUILTIN
    from connectors.sdk.base import SourceRow, StateCheckpoint

    out = tmp_path / "sbx"
    before = generate(out, 600, 13)
    register_before = {
        row[0]: row[1:]
        for row in sqlite3.connect(out / "market_regulation" / "scjg.db").execute("SELECT ID, ZS, GXSJ FROM qy_djxx")
    }
    connectors = {c.name: c for c in BUILTIN}
    server = serve_sandbox(out).start()
    config = sources_config(out, server.base_urls)["tax"]
    state = None
    for m in connectors["tax"](config).stream("tax_ratings").read(None):
        if isinstance(m, StateCheckpoint):
            state = m.state

    after = advance(out, change_share=0.01)
    changed = after.last_changed
    total_changed = sum(sum(s.values()) for s in changed.values())
    assert total_changed == round(0.01 * before.total())
    assert set(changed) <= {s.department for s in (*SQL_STREAMS, *API_STREAMS)}
    assert load_manifest(out).last_changed == changed

    conn = sqlite3.connect(out / "market_regulation" / "scjg.db")
    moved = [r for r in conn.execute("SELECT ID, ZS, GXSJ FROM qy_djxx") if register_before[r[0]] != r[1:]]
    conn.close()
    # Changed register rows: the day's status changes plus the moves, all stamped on the new day.
    assert len(moved) >= changed["market_regulation"]["register"]
    assert all(r[2].startswith("2026-11-02") for r in moved)

    # An incremental read of the tax ratings after the full one returns exactly the changed ones.
    try:
        stream = connectors["tax"](config).stream("tax_ratings")
        rows = [m for m in stream.read(state) if isinstance(m, SourceRow)]
    finally:
        server.stop()
    # The cursor is inclusive: the last record of the full read comes again (sync drops it by content hash).
    fresh = [r for r in rows if str(r.data["updatedAt"]).startswith("2026-11-02")]
    assert len(fresh) == changed["tax"]["tax_ratings"] > 0
    assert len(rows) - len(fresh) <= 1
    assert after.counts["tax"]["tax_ratings"] == before.counts["tax"]["tax_ratings"]

    # The same seed and day change the same records.
    again = tmp_path / "again"
    generate(again, 600, 13)
    advance(again, change_share=0.01)
    assert _digest(again) == _digest(out)


def test_the_server_reads_pages_from_the_file_as_the_parsed_file_would_give_them(tmp_path: Path) -> None:
    from credithub.sandbox.server import FileRecords

    rows = sorted(_rows(300, seed=4), key=lambda r: (str(r["updatedAt"]), str(r["id"])))
    rows[5]["note"] = "逗号, 括号 } 与\n换行"
    path = tmp_path / "s.json"
    write_api_records(path, rows)
    records = FileRecords(path)
    assert records.sorted and len(records) == 300
    assert records[0:300] == rows and records[40:90] == rows[40:90] and records[299] == rows[299]
    for since in ("", "2025-03-01", "2025-05-01T00:00:00", "2025-09-02", "2026"):
        expected = [r for r in rows if str(r["updatedAt"]) >= since]
        got = records.since(since)
        assert len(got) == len(expected) and got[0 : len(got)] == expected
        assert got[3:10] == expected[3:10]

    shuffled = list(reversed(rows))  # a hand-written file need not be sorted: then it is scanned
    write_api_records(path, shuffled)
    unsorted = FileRecords(path)
    assert not unsorted.sorted
    got = unsorted.since("2025-05-01")
    assert got[0 : len(got)] == [r for r in shuffled if str(r["updatedAt"]) >= "2025-05-01"]


def test_a_population_past_the_two_character_names_is_still_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credithub.sandbox.population import Company

    # As if this were a city of millions: names from the 100th on take the three-character path.
    monkeypatch.setattr(pop_module, "_COMPOSED_FULL", 100)
    m = generate(tmp_path / "city", 400, 8)
    lines = (m.out_dir / "companies.jsonl").read_text("utf-8").splitlines()
    companies = [Company.model_validate_json(line) for line in lines][:400]
    mains = [c for c in companies if c.parent_id is None]
    assert sum(len(c.trade_name) == 3 for c in mains) > 200
    assert len({c.name for c in companies}) == 400 and len({c.uscc for c in companies}) == 400
    assert not {f for c in companies for f in c.former_names} & {c.name for c in companies}
    assert 4.2 < m.total() / 400 < 4.9
