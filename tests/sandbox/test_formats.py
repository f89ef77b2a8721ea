"""Each department file is in its declared native format, with the deliberate faults and nothing else broken."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from openpyxl import load_workbook

from credithub.sandbox import SandboxManifest


def _truth_ids(sandbox: SandboxManifest, dept: str, stream: str) -> set[str]:
    lines = (sandbox.out_dir / "ground_truth.jsonl").read_text("utf-8").splitlines()
    return {t["source_record_id"] for t in map(json.loads, lines) if t["department"] == dept and t["stream"] == stream}


def _csv_lines(path: Path, encoding: str) -> tuple[list[list[str]], list[bytes]]:
    """Records of the lines that decode (quoted fields may span lines), and the raw lines that do not."""
    text, bad = [], []
    for raw in path.read_bytes().split(b"\r\n"):
        try:
            text.append(raw.decode(encoding))
        except UnicodeDecodeError:
            bad.append(raw)
    rows = list(csv.reader(io.StringIO("\r\n".join(text).lstrip("\ufeff"))))
    return [r for r in rows if r], bad


def test_quality_supervision_gbk_csv_has_exactly_the_planted_faults(sandbox: SandboxManifest) -> None:
    path = sandbox.out_dir / "quality_supervision" / "spot_checks_2026.csv"
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        raise AssertionError("the export must not be UTF-8")
    except UnicodeDecodeError:
        pass
    rows, bad = _csv_lines(path, "gbk")
    header, data = rows[0], rows[1:]
    assert header[:3] == ["序号", "组织机构代码", "企业名称"]
    assert len(bad) >= 1  # the undecodable line
    short = [r for r in data if len(r) != len(header)]
    assert len(short) >= 1  # the wrong column count
    good = [r for r in data if len(r) == len(header)]
    assert len(good) == sandbox.counts["quality_supervision"]["spot_checks"] - len(bad) - len(short)
    assert {r[0] for r in good} <= _truth_ids(sandbox, "quality_supervision", "spot_checks")
    assert any("-" in r[1] for r in good) and any(len(r[1]) == 9 and "-" not in r[1] for r in good)


def test_multi_line_quoted_fields_survive(tmp_path: Path) -> None:
    from credithub.sandbox import generate

    m = generate(tmp_path / "ml", 300, 2)
    rows, bad = _csv_lines(m.out_dir / "quality_supervision" / "spot_checks_2026.csv", "gbk")
    issues = [r[6] for r in rows[1:] if len(r) == 8]
    assert any("\n" in i for i in issues) and any("," in i for i in issues)


def test_utf8_bom_and_gb18030_csvs(sandbox: SandboxManifest) -> None:
    ss = sandbox.out_dir / "social_security" / "insurance_arrears.csv"
    assert ss.read_bytes().startswith(b"\xef\xbb\xbf")
    rows, bad = _csv_lines(ss, "utf-8")
    assert not bad and rows[0][0] == "编号"
    pl = sandbox.out_dir / "planning_land" / "idle_land.csv"
    rows, bad = _csv_lines(pl, "gb18030")
    assert not bad and rows[0][1] == "土地使用权人" and len(rows) - 1 == sandbox.counts["planning_land"]["idle_land"]
    sci = sandbox.out_dir / "science_innovation" / "high_tech_certificates.csv"
    rows, bad = _csv_lines(sci, "utf-8")
    assert not bad and not sci.read_bytes().startswith(b"\xef\xbb\xbf")


def test_xlsx_workbooks_open_with_their_rows(sandbox: SandboxManifest) -> None:
    for dept, name, stream in (
        ("environment", "credit_ratings.xlsx", "credit_ratings"),
        ("environment", "penalties.xlsx", "penalties"),
        ("statistics", "enterprise_size.xlsx", "enterprise_size"),
        ("statistics", "statistical_dishonesty.xlsx", "statistical_dishonesty"),
    ):
        wb = load_workbook(sandbox.out_dir / dept / name, read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        assert rows[0][0] == "序号"
        assert len(rows) - 1 == sandbox.counts[dept][stream]
        assert {str(r[0]) for r in rows[1:]} == _truth_ids(sandbox, dept, stream)


def test_xml_files_parse(sandbox: SandboxManifest) -> None:
    found = {}
    for dept, item in (
        ("customs", "Enterprise"),
        ("customs", "Case"),
        ("emergency_management", "Record"),
        ("emergency_management", "Licence"),
    ):
        for path in sorted((sandbox.out_dir / dept).glob("*.xml")):
            root = ET.parse(path).getroot()
            found[(dept, item)] = found.get((dept, item), 0) + len(root.findall(item))
    assert found[("customs", "Enterprise")] == sandbox.counts["customs"]["credit_grades"]
    assert found[("customs", "Case")] == sandbox.counts["customs"]["penalties"]
    assert found[("emergency_management", "Record")] == sandbox.counts["emergency_management"]["work_safety_penalties"]


def test_jsonl_lines_are_json_except_the_broken_one(sandbox: SandboxManifest) -> None:
    good, bad = [], []
    for path in sorted((sandbox.out_dir / "courts").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            try:
                good.append(json.loads(line))
            except json.JSONDecodeError:
                bad.append(line)
    assert len(bad) <= len(list((sandbox.out_dir / "courts").glob("*.jsonl")))
    assert {g["id"] for g in good} == _truth_ids(sandbox, "courts", "dishonest_debtors") - {
        b.split('"')[3] for b in bad
    }
    assert all("执" in g["caseCode"] and g["caseCode"].startswith("（") for g in good)


def test_sqlite_databases_hold_the_tables(sandbox: SandboxManifest) -> None:
    conn = sqlite3.connect(sandbox.out_dir / "market_regulation" / "scjg.db")
    try:
        n = conn.execute("SELECT COUNT(*) FROM qy_djxx").fetchone()[0]
        assert n == sandbox.counts["market_regulation"]["register"] == 80
        ids = {r[0] for r in conn.execute("SELECT ID FROM jyyc_ml")}
        assert ids == _truth_ids(sandbox, "market_regulation", "abnormal_operations")
        removed = conn.execute("SELECT COUNT(*) FROM jyyc_ml WHERE YCRQ IS NOT NULL AND YCYY IS NOT NULL").fetchone()[0]
        assert removed >= 0
    finally:
        conn.close()
    conn = sqlite3.connect(sandbox.out_dir / "public_security" / "xfjd.db")
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"t_xf_jcjl", "t_xf_xzcf"}
    finally:
        conn.close()


def test_gbk_export_replaces_characters_outside_gbk(tmp_path: Path) -> None:
    from credithub.sandbox import generate
    from credithub.sandbox.words import RARE_GIVEN_CHARS

    m = generate(tmp_path / "rare", 300, 8)
    companies = [json.loads(line) for line in (m.out_dir / "companies.jsonl").read_text("utf-8").splitlines()]
    rare = [c for c in companies if any(ch in c["legal_rep"] for ch in RARE_GIVEN_CHARS)]
    assert rare, "some legal representatives carry characters outside GBK"
    rows, _ = _csv_lines(m.out_dir / "food_drug" / "food_licences.csv", "gbk")
    reps = {r[3] for r in rows[1:] if len(r) > 3}
    assert not any(ch in rep for rep in reps for ch in RARE_GIVEN_CHARS)
