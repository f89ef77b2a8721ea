"""The sandbox population and its files: deterministic, valid identifiers, complete ground truth."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from credithub.errors import ConfigError
from credithub.sandbox import SandboxManifest, generate
from credithub.sandbox.departments import DEPARTMENTS
from credithub.sandbox.identifiers import org_code_check, org_code_is_valid
from credithub.sandbox.population import AS_OF, Company


def _companies(path: Path) -> list[Company]:
    return [Company.model_validate_json(line) for line in (path / "companies.jsonl").read_text("utf-8").splitlines()]


def _truth(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "ground_truth.jsonl").read_text("utf-8").splitlines()]


def _fingerprint(root: Path) -> dict[str, str]:
    """Hash of every file's content; XLSX by cell values (zip metadata is not content)."""
    from openpyxl import load_workbook

    out = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name == "manifest.json":
            continue
        if p.suffix == ".xlsx":
            wb = load_workbook(p, read_only=True)
            data = json.dumps(
                [list(r) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)],
                ensure_ascii=False,
                default=str,
            ).encode()
            wb.close()
        else:
            data = p.read_bytes()
        out[str(p.relative_to(root))] = hashlib.sha256(data).hexdigest()
    return out


def test_same_seed_gives_identical_files_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 60, 11)
    b = generate(tmp_path / "b", 60, 11)
    generate(tmp_path / "c", 60, 12)
    assert a.counts == b.counts
    fa, fb, fc = _fingerprint(tmp_path / "a"), _fingerprint(tmp_path / "b"), _fingerprint(tmp_path / "c")
    assert fa == fb
    assert len(fa) > 20
    assert fa["ground_truth.jsonl"] != fc["ground_truth.jsonl"]


def test_all_seventeen_departments_write_files(sandbox: SandboxManifest) -> None:
    assert len(DEPARTMENTS) == 17
    assert set(sandbox.paths) == set(DEPARTMENTS) == set(sandbox.counts)
    for dept, files in sandbox.paths.items():
        for f in files:
            assert (sandbox.out_dir / f).stat().st_size > 0, (dept, f)
    for dept, streams in sandbox.counts.items():
        assert all(n > 0 for n in streams.values()), (dept, streams)


def test_population_identifiers_check_out(sandbox_dir: Path) -> None:
    everyone = _companies(sandbox_dir)
    companies = [c for c in everyone if c.city == "深圳市"]
    outsiders = [c for c in everyone if c.city != "深圳市"]
    assert len(companies) == 80 and len(outsiders) == 2
    for c in outsiders:
        assert c.name.startswith(c.city) and stdnum_uscc.is_valid(c.uscc) and c.uscc[2:6] != "4403"
        assert c.name not in {s.name for s in companies}
    assert len({c.uscc for c in companies}) == 80
    assert len({c.name for c in companies}) == 80
    for c in companies:
        assert stdnum_uscc.is_valid(c.uscc), c.uscc
        assert c.uscc[:2] == "91" and c.uscc[2:6] == "4403"
        assert c.org_code == c.uscc[8:17] and org_code_is_valid(c.org_code_dashed)
        assert c.established <= AS_OF
        if c.reg_no is not None:
            assert c.established.year < 2016 and mod_11_10.is_valid(c.reg_no)
            assert c.tax_no is not None and c.tax_no[6:] == c.org_code and len(c.tax_no) == 15
        assert c.name.endswith("公司") and c.district in c.address


def test_org_code_check_matches_known_example() -> None:
    # Huawei: USCC 914403001922038216, organization code 19220382-1.
    assert org_code_check("19220382") == "1"


def test_population_has_branches_renames_and_shared_trade_names(tmp_path: Path) -> None:
    companies = [c for c in _companies(generate(tmp_path / "s", 300, 5).out_dir) if c.city == "深圳市"]
    by_id = {c.company_id: c for c in companies}
    branches = [c for c in companies if c.parent_id]
    assert branches and all(c.name.startswith(by_id[c.parent_id].name) and c.name.endswith("分公司") for c in branches)
    assert all(c.uscc != by_id[c.parent_id].uscc for c in branches)
    assert any(c.former_names for c in companies)
    trades: dict[str, set[str]] = {}
    for c in companies:
        if not c.parent_id:
            trades.setdefault(c.trade_name, set()).add(c.industry_word)
    assert any(len(words) > 1 for words in trades.values())


def test_ground_truth_covers_every_counted_record(sandbox: SandboxManifest) -> None:
    truth = _truth(sandbox.out_dir)
    ids = {c.company_id for c in _companies(sandbox.out_dir)}
    per_stream: dict[tuple[str, str], int] = {}
    for t in truth:
        assert set(t) == {"department", "stream", "source_record_id", "company_id"}
        assert t["company_id"] in ids
        per_stream[(t["department"], t["stream"])] = per_stream.get((t["department"], t["stream"]), 0) + 1
    for dept, streams in sandbox.counts.items():
        for stream, n in streams.items():
            # A record of an unknown party (the planning export's cut-off line) has no company.
            assert n - 1 <= per_stream.get((dept, stream), 0) <= n, (dept, stream)
    keys = [(t["department"], t["stream"], t["source_record_id"]) for t in truth]
    assert len(keys) == len(set(keys))


def test_default_size_is_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    manifest = generate(tmp_path / "big", 300, 20261128)
    assert time.perf_counter() - start < 5
    assert manifest.counts["market_regulation"]["register"] == 300


def test_fault_rate_zero_writes_no_broken_lines(tmp_path: Path) -> None:
    m = generate(tmp_path / "clean", 60, 3, fault_rate=0.0)
    raw = (m.out_dir / "quality_supervision" / "spot_checks_2026.csv").read_bytes()
    raw.decode("gbk")  # every line decodes


def test_bad_arguments_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        generate(tmp_path / "x", 3, 1)
    with pytest.raises(ConfigError):
        generate(tmp_path / "x", 50, 1, fault_rate=0.9)


def test_departments_agree_with_each_other(sandbox: SandboxManifest) -> None:
    """The red list names companies other departments honoured; abnormal listings lead to the serious list."""
    out = sandbox.out_dir
    truth = {(t["department"], t["stream"], t["source_record_id"]): t["company_id"] for t in _truth(out)}
    ratings = json.loads((out / "tax" / "api" / "tax_ratings.json").read_text("utf-8"))
    a_rated = {truth[("tax", "tax_ratings", r["id"])] for r in ratings if r.get("rating") == "A"}
    red = json.loads((out / "development_reform" / "api" / "red_list.json").read_text("utf-8"))
    tax_red = [r for r in red if r["listName"] == "纳税信用A级纳税人"]
    assert tax_red
    assert all(truth[("development_reform", "red_list", r["id"])] in a_rated for r in tax_red)
    serious = {k[2]: v for k, v in truth.items() if k[:2] == ("market_regulation", "serious_dishonest")}
    abnormal = {v for k, v in truth.items() if k[:2] == ("market_regulation", "abnormal_operations")}
    assert set(serious.values()) <= abnormal
