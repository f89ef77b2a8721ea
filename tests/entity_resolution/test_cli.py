"""`credithub resolve` (the standalone contract) and `credithub eval er`, through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from entity_resolution.cli import app
from tests.entity_resolution.conftest import uscc

runner = CliRunner()


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _row(source: str, rid: str, name: str | None, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {"source": source, "record_id": rid, "name": name, "uscc": None, "reg_no": None,
                               "org_code": None, "tax_no": None, "address": None, "legal_rep": None,
                               "established": None}
    base.update(kw)
    return base


def test_resolve_contract(tmp_path: Path) -> None:
    a, b = uscc("MA5ABC12"), uscc("12345678")
    rows = [
        _row("tax", "1", "深圳市华信科技有限公司", uscc=a),
        _row("courts", "1", "華信科技（深圳）有限公司"),  # same record_id, another source
        _row("quality", "q1", None, org_code=a[8:16] + "-" + a[16]),
        _row("tax", "2", "深圳市华信科技有限公司", uscc="９" + b[1:]),  # another valid USCC: another company
        _row("tax", "3", "深圳市华信电子有限公司"),
    ]
    src, out = tmp_path / "records.jsonl", tmp_path / "out" / "clusters.jsonl"
    _write(src, rows)
    result = runner.invoke(app, ["resolve", "--input", str(src), "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["source"], x["record_id"]) for x in lines] == [(r["source"], r["record_id"]) for r in rows]
    ids = [x["entity_id"] for x in lines]
    assert ids[0] == ids[2]  # organization code inside the USCC
    assert len({ids[0], ids[3], ids[4]}) == 3  # two valid USCCs never merge; another industry word
    # The name alone fits two companies with valid, different USCCs: ambiguous, so not guessed.
    assert ids[1] not in (ids[0], ids[3])
    # Re-running gives the same ids.
    runner.invoke(app, ["resolve", "--input", str(src), "--output", str(tmp_path / "again.jsonl")])
    assert (tmp_path / "again.jsonl").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_resolve_reports_the_bad_line(tmp_path: Path) -> None:
    src = tmp_path / "records.jsonl"
    src.write_text(json.dumps(_row("tax", "1", "x")) + "\n{not json\n", encoding="utf-8")
    result = runner.invoke(app, ["resolve", "--input", str(src), "--output", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert "records.jsonl:2" in result.output


def test_help_texts() -> None:
    assert runner.invoke(app, ["resolve", "--help"]).exit_code == 0
    assert "precision" in runner.invoke(app, ["eval", "er", "--help"]).output


def test_eval_er_synthetic() -> None:
    result = runner.invoke(app, ["eval", "er", "--synthetic", "300"])
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "meets the targets" in result.output


def test_eval_er_on_the_real_sandbox(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "er", "--companies", "120", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "market_regulation" in result.output and "tax" in result.output
    assert "meets the targets" in result.output


def test_parallel_preparation_gives_the_same_clusters(tmp_path: Path) -> None:
    from entity_resolution import synthetic
    from entity_resolution.jsonl import resolve_file

    rows, _ = synthetic.records(synthetic.population(400, seed=9), 4.0, seed=10)
    rows[3]["name"] = "深圳市\u2028华信科技有限公司"  # a line separator inside a JSON string is not a line break
    src = tmp_path / "records.jsonl"
    _write(src, rows)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    resolve_file(src, one, workers=1)
    resolve_file(src, two, workers=2)
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")
    assert len(one.read_text(encoding="utf-8").splitlines()) == len(rows)


def test_parallel_preparation_with_other_threads_alive_uses_forkserver(tmp_path: Path) -> None:
    # Forking while another thread holds a lock hung CI for good; with threads alive the pool must
    # start from a clean forkserver, and the clusters must not change.
    import threading

    from entity_resolution import synthetic
    from entity_resolution.jsonl import _pool_context, resolve_file

    rows, _ = synthetic.records(synthetic.population(150, seed=3), 3.0, seed=4)
    src = tmp_path / "records.jsonl"
    _write(src, rows)
    held, stop = threading.Lock(), threading.Event()

    def hold() -> None:
        with held:
            stop.wait(60)

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    try:
        assert _pool_context().get_start_method() == "forkserver"
        one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
        resolve_file(src, one, workers=1)
        resolve_file(src, two, workers=2)
        assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")
    finally:
        stop.set()
        t.join()


def isolated_run_matches_in_process_run(tmp: str) -> None:
    """Runs in a fresh single-threaded interpreter, where forking the resolution child is safe."""
    import threading

    from entity_resolution import synthetic
    from entity_resolution.jsonl import InputError, resolve_file

    assert threading.active_count() == 1
    base = Path(tmp)
    rows, _ = synthetic.records(synthetic.population(200, seed=5), 3.0, seed=6)
    src = base / "records.jsonl"
    _write(src, rows)
    seen: list[tuple[str, int]] = []
    here = resolve_file(src, base / "here.jsonl", isolate=False)
    child = resolve_file(src, base / "child.jsonl", isolate=True, progress=lambda s, n: seen.append((s, n)))
    assert (base / "here.jsonl").read_bytes() == (base / "child.jsonl").read_bytes()
    assert (here.records, here.entities, here.flags) == (child.records, child.entities, child.flags)
    assert ("read", len(rows)) in seen and ("resolved", len(rows)) in seen  # relayed from the child
    def failing(stage: str, n: int) -> None:
        raise KeyboardInterrupt  # e.g. Ctrl-C while progress is drawn: the child must not be waited for

    try:
        resolve_file(src, base / "stopped.jsonl", isolate=True, progress=failing)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interruption was swallowed")
    bad = base / "bad.jsonl"
    bad.write_text(json.dumps(_row("tax", "1", "x")) + "\n{oops\n", encoding="utf-8")
    try:
        resolve_file(bad, base / "never.jsonl", isolate=True)
    except InputError as exc:
        assert exc.line == 2 and "not JSON" in exc.reason
    else:
        raise AssertionError("the child's InputError did not reach the parent")


def test_resolution_in_a_child_process_gives_the_same_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("from tests.entity_resolution.test_cli import isolated_run_matches_in_process_run as t; "
            f"t({str(tmp_path)!r}); print('same')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("same"), done.stderr[-3000:]


def test_bad_line_is_reported_from_a_worker(tmp_path: Path) -> None:
    import pytest

    from entity_resolution.jsonl import InputError, resolve_file

    src = tmp_path / "records.jsonl"
    src.write_text(json.dumps(_row("tax", "1", "x")) + "\n" + json.dumps({"source": "tax"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        resolve_file(src, tmp_path / "o.jsonl", workers=2)
    assert err.value.line == 2 and "record_id" in err.value.reason


def test_match_record_fields_are_in_the_order_the_fast_parser_fills_them() -> None:
    import dataclasses

    from entity_resolution.jsonl import _OPTIONAL
    from entity_resolution.matcher import MatchRecord

    names = [f.name for f in dataclasses.fields(MatchRecord)]
    assert names == ["key", _OPTIONAL[0], "former_names", *_OPTIONAL[1:], "is_register", "department"]


def test_fast_parser_reads_lines_as_the_line_by_line_parser_does() -> None:
    from entity_resolution.jsonl import _parse_line, _parse_lines_fast

    rows = [
        _row("tax", "1", " 深圳市华信科技有限公司 ", uscc=" 91440300MA5BJ1XG3X", reg_no=None, address="   "),
        {"source": "courts", "record_id": 17, "name": "华信", "established": "2020-01-01", "org_code": 12345678},
        {"source": "register", "record_id": "R9", "name": "甲", "former_names": "乙;丙；  ", "is_register": True},
        {"source": "register", "record_id": "R10", "name": None, "former_names": ["丁", "戊"], "legal_rep": "张三"},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    fast = _parse_lines_fast(lines)
    slow = [_parse_line(Path("x"), i + 1, line) for i, line in enumerate(lines)]
    assert fast == slow and fast is not None and fast[1].org_code == "12345678" and fast[0].address is None
