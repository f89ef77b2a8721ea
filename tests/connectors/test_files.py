"""File-drop transports against real files: encodings, faults, drift, folders."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, ClassVar

import pytest
from openpyxl import Workbook

from connectors.sdk import (
    CsvFileStream,
    DeclarativeConnector,
    FileDropConfig,
    JsonLinesFileStream,
    SchemaDrift,
    SourceFault,
    SourceRow,
    StateCheckpoint,
    XlsxFileStream,
    XmlFileStream,
)
from connectors.sdk.transports.files import detect_encoding
from credithub.domain import CanonicalRecord
from credithub.errors import FatalSourceError

FIELDS = {"抽查编号": "record_id", "企业名称": "name", "组织机构代码": "org_code", "结果": "result", "更新时间": "updated_at"}
HEADER = "抽查编号,企业名称,组织机构代码,结果,更新时间\n"


def line(i: int) -> str:
    return f"C{i:04d},深圳市测试{i}有限公司,1234567{i % 10}-X,合格,2026-01-0{1 + i % 9}\n"


class Checks(CsvFileStream):
    name = "spot_checks"
    pattern = "*.csv"
    fields: ClassVar = FIELDS
    required_columns = ("抽查编号", "企业名称")
    primary_key = "record_id"
    cursor_field = "updated_at"

    def to_canonical(self, staged: Any) -> CanonicalRecord:
        return CanonicalRecord(department="quality_supervision", dataset=self.name, source_record_id=staged["record_id"], name=staged["name"])


class ChecksJsonl(JsonLinesFileStream):
    name = "spot_checks_jsonl"
    fields: ClassVar = FIELDS
    required_columns = ("抽查编号",)
    to_canonical = Checks.to_canonical


class ChecksXlsx(XlsxFileStream):
    name = "spot_checks_xlsx"
    fields: ClassVar = FIELDS
    required_columns = ("抽查编号",)
    to_canonical = Checks.to_canonical


class ChecksXml(XmlFileStream):
    name = "spot_checks_xml"
    record_tag = "记录"
    fields: ClassVar = FIELDS
    required_columns = ("抽查编号",)
    to_canonical = Checks.to_canonical


class Quality(DeclarativeConnector):
    name = "quality_supervision"
    title = "市场监管局（质量监督）"
    config_model = FileDropConfig
    streams = (Checks, ChecksJsonl, ChecksXlsx, ChecksXml)


def read(directory: Path, stream: str = "spot_checks", state: Any = None, **cfg: Any) -> list[Any]:
    return list(Quality({"directory": str(directory), **cfg}).stream(stream).read(state))


def rows(msgs: list[Any]) -> list[SourceRow]:
    return [m for m in msgs if isinstance(m, SourceRow)]


def faults(msgs: list[Any]) -> list[SourceFault]:
    return [m for m in msgs if isinstance(m, SourceFault)]


@pytest.mark.parametrize(
    ("codec", "declared"),
    [("gbk", "gbk"), ("gbk", "auto"), ("gb18030", "auto"), ("utf-8", "auto"), ("utf-8-sig", "auto"), ("utf-8-sig", "utf-8-sig")],
)
def test_csv_encodings_declared_or_detected(tmp_path: Path, codec: str, declared: str) -> None:
    text = HEADER + "".join(line(i) for i in range(5)) + "C0099,𠮷野家餐饮有限公司,12345678-X,合格,2026-01-01\n" * (codec != "gbk")
    (tmp_path / "a.csv").write_bytes(text.encode(codec))
    msgs = read(tmp_path, encoding=declared)
    assert not faults(msgs)
    assert rows(msgs)[0].data["企业名称"] == "深圳市测试0有限公司"
    assert rows(msgs)[0].data["抽查编号"] == "C0000"  # no BOM left on the first header cell
    if codec != "gbk":
        assert rows(msgs)[-1].data["企业名称"].startswith("𠮷")


def test_detect_encoding_prefers_utf8_and_finds_gbk(tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_bytes((HEADER + line(1)).encode("utf-8"))
    (tmp_path / "g.csv").write_bytes((HEADER + line(1)).encode("gbk"))
    (tmp_path / "b.csv").write_bytes((HEADER + line(1)).encode("utf-8-sig"))
    assert detect_encoding(tmp_path / "u.csv") == "utf-8"
    assert detect_encoding(tmp_path / "g.csv") == "gb18030"
    assert detect_encoding(tmp_path / "b.csv") == "utf-8-sig"


def test_undecodable_line_is_a_fault_with_hex_and_the_rest_is_read(tmp_path: Path) -> None:
    bad = "C0002,坏公司,12345678-X,合格,2026-01-01\n".encode("utf-8")
    (tmp_path / "a.csv").write_bytes((HEADER + line(1)).encode("gbk") + bad + line(3).encode("gbk"))
    msgs = read(tmp_path, encoding="gbk")
    assert [r.record_id for r in rows(msgs)] == ["C0001", "C0003"]
    (fault,) = faults(msgs)
    assert fault.location == "a.csv row 2 (line 3)"
    assert fault.raw == bad.hex()
    assert "gbk" in fault.reason and "十六进制" in fault.reason


def test_wrong_column_count_is_a_fault(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + line(1) + "C0002,多一列公司,x,合格,2026-01-01,多余\n" + "C0003,少\n" + line(4), encoding="utf-8")
    msgs = read(tmp_path)
    assert [r.record_id for r in rows(msgs)] == ["C0001", "C0004"]
    f1, f2 = faults(msgs)
    assert f1.location == "a.csv row 2 (line 3)" and "应为 5 列，实际 6 列" in f1.reason
    assert f2.raw == "C0003,少" and "实际 2 列" in f2.reason


def test_truncated_file_short_last_line(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + line(1) + "C0002,深圳市截", encoding="utf-8")
    msgs = read(tmp_path)
    assert len(rows(msgs)) == 1
    (fault,) = faults(msgs)
    assert "文件被截断" in fault.reason and fault.location == "a.csv row 2 (line 3)"


def test_truncated_file_unclosed_quote_and_cut_multibyte(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text(HEADER + line(1) + 'C0002,"深圳市\n截断', encoding="gbk")
    full = (HEADER + line(1) + line(2)).encode("gbk")
    cut = full[: full.rindex("有限公司".encode("gbk")) + 1]  # ends inside a two-byte character
    (tmp_path / "r.csv").write_bytes(cut)
    msgs = read(tmp_path, encoding="gbk")
    reasons = [f.reason for f in faults(msgs)]
    assert len(rows(msgs)) == 2 and len(reasons) == 2
    assert "引号未闭合" in reasons[0] and faults(msgs)[0].location == "q.csv row 2 (line 3)"
    assert faults(msgs)[1].location == "r.csv row 2 (line 3)" and "无法按 gbk 解码" in reasons[1]


def test_quoted_newline_is_one_record(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + 'C0001,"深圳市\n多行公司",x,合格,2026-01-01\n' + line(2), encoding="utf-8")
    msgs = read(tmp_path)
    assert [r.data["企业名称"] for r in rows(msgs)][0] == "深圳市\n多行公司"
    assert rows(msgs)[1].location == "a.csv row 2 (line 4)"


def test_empty_export_and_header_only(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header_only.csv").write_text(HEADER, encoding="utf-8")
    msgs = read(tmp_path)
    (fault,) = faults(msgs)
    assert fault.location == "empty.csv" and "空文件" in fault.reason and "quality_supervision" in fault.reason
    assert not rows(msgs)
    files = [m for m in msgs if isinstance(m, StateCheckpoint)][-1].state["files"]
    assert set(files) == {"empty.csv", "header_only.csv"}


def test_extra_and_renamed_columns_are_drift_and_mapped_columns_still_read(tmp_path: Path) -> None:
    header = "抽查编号,企业名称,机构代码,结果,更新时间,抽查机构\n"  # 组织机构代码 renamed, 抽查机构 added
    (tmp_path / "a.csv").write_text(header + "C0001,甲公司,12345678-X,合格,2026-01-01,市质检院\n", encoding="utf-8")
    msgs = read(tmp_path)
    (drift,) = [m for m in msgs if isinstance(m, SchemaDrift)]
    assert drift.added == ["机构代码", "抽查机构"] and drift.missing == ["组织机构代码"]
    assert drift.location == "a.csv header"
    (row,) = rows(msgs)
    staged = Quality({"directory": str(tmp_path)}).stream("spot_checks").stage(row.data)
    assert staged == {"record_id": "C0001", "name": "甲公司", "org_code": None, "result": "合格", "updated_at": "2026-01-01"}


def test_ignored_columns_are_not_drift(tmp_path: Path) -> None:
    class Quiet(Checks):
        ignored_columns = ("抽查机构",)

    class QuietConn(Quality):
        streams = (Quiet,)

    (tmp_path / "a.csv").write_text(HEADER.strip() + ",抽查机构\n" + line(1).strip() + ",市质检院\n", encoding="utf-8")
    msgs = list(QuietConn({"directory": str(tmp_path)}).stream("spot_checks").read(None))
    assert not [m for m in msgs if isinstance(m, SchemaDrift)]
    assert rows(msgs)[0].data["抽查机构"] == "市质检院"  # still in raw


def test_missing_required_column_stops_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "a_bad.csv").write_text("抽查编号,公司,结果\nC0001,甲,合格\n", encoding="utf-8")
    (tmp_path / "b_good.csv").write_text(HEADER + line(2), encoding="utf-8")
    msgs = read(tmp_path)
    (fault,) = faults(msgs)
    assert fault.location == "a_bad.csv header" and fault.field == "企业名称"
    assert "企业名称" in fault.reason and "quality_supervision" in fault.reason and "停止" in fault.reason
    assert [r.record_id for r in rows(msgs)] == ["C0002"]
    final = [m for m in msgs if isinstance(m, StateCheckpoint)][-1].state
    assert list(final["files"]) == ["b_good.csv"]  # the stopped file is read again once fixed


def test_folder_reads_only_new_or_changed_files(tmp_path: Path) -> None:
    (tmp_path / "2026-01.csv").write_text(HEADER + line(1), encoding="utf-8")
    first = read(tmp_path)
    state = first[-1].state
    assert read(tmp_path, state=state) == []
    (tmp_path / "2026-02.csv").write_text(HEADER + line(2), encoding="utf-8")
    second = read(tmp_path, state=state)
    assert [r.record_id for r in rows(second)] == ["C0002"]
    p = tmp_path / "2026-01.csv"
    p.write_text(HEADER + line(1) + line(5), encoding="utf-8")
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    third = read(tmp_path, state=second[-1].state)
    assert [r.record_id for r in rows(third)] == ["C0001", "C0005"]
    assert [r.record_id for r in rows(read(tmp_path))] == ["C0001", "C0005", "C0002"]  # full


def test_files_still_being_written_wait_for_the_next_sync(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    old.write_text(HEADER + line(1), encoding="utf-8")
    os.utime(old, (old.stat().st_atime, old.stat().st_mtime - 120))
    (tmp_path / "copying.csv").write_text(HEADER + "C0002,深圳市写了一半", encoding="utf-8")
    msgs = read(tmp_path, settle_s=60)
    assert [r.record_id for r in rows(msgs)] == ["C0001"] and not faults(msgs)
    assert list(msgs[-1].state["files"]) == ["old.csv"]


def test_pattern_from_config_and_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text(HEADER + line(1), encoding="utf-8")
    assert len(rows(read(tmp_path, pattern="*.txt"))) == 1
    with pytest.raises(FatalSourceError, match="does not exist"):
        read(tmp_path / "nope")
    res = Quality({"directory": str(tmp_path / "nope")}).check()
    assert not res.ok and "nope" in res.message


def test_jsonl_faults(tmp_path: Path) -> None:
    good = '{"抽查编号": "C1", "企业名称": "甲", "组织机构代码": "x", "结果": "合格", "更新时间": "2026-01-01"}\n'
    data = (
        good.encode()
        + b'{"\xe6\x8a\xbd": broken\n'
        + '[1, 2]\n'.encode()
        + '{"企业名称": "无编号"}\n'.encode()
        + "{\"抽查编号\": \"C5\", \"企业名称\": \"坏\"}\n".encode("gbk")
        + good.replace("C1", "C6").encode()
        + b'{"\xe6\x8a\xbd\xe6\x9f\xa5'
    )
    (tmp_path / "a.jsonl").write_bytes(data)
    msgs = read(tmp_path, "spot_checks_jsonl", encoding="utf-8")
    assert [r.record_id for r in rows(msgs)] == ["C1", "C6"]
    reasons = [f.reason for f in faults(msgs)]
    assert len(reasons) == 5
    assert "JSON 格式错误" in reasons[0] and "不是 JSON 对象" in reasons[1] and "抽查编号" in reasons[2]
    assert "无法按 utf-8 解码" in reasons[3] and "截断" in reasons[4]
    assert faults(msgs)[2].field == "抽查编号" and faults(msgs)[2].location == "a.jsonl row 4 (line 4)"


def test_xlsx_streams_rows_with_faults(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "抽查"
    ws.append(["2026年1月产品质量监督抽查结果"])  # a caption row above the header
    ws.append([])
    ws.append(list(FIELDS))
    ws.append(["C1", "甲公司", "12345678-X", "合格", dt.datetime(2026, 1, 2)])
    ws.append(["C2", "乙公司", None, "不合格", dt.datetime(2026, 1, 3, 9, 30), "多出"])
    ws.append([3, "丙公司", "x", "合格", "2026-01-04"])
    wb.save(tmp_path / "a.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    msgs = read(tmp_path, "spot_checks_xlsx")
    assert [r.record_id for r in rows(msgs)] == ["C1", "3"]
    assert rows(msgs)[0].data["更新时间"] == "2026-01-02"
    assert rows(msgs)[0].location == "a.xlsx sheet 抽查 row 1 (line 4)"
    f1, f2 = faults(msgs)
    assert f1.location == "a.xlsx sheet 抽查 row 2 (line 5)" and "列数不符" in f1.reason
    assert f2.location == "broken.xlsx" and "损坏" in f2.reason


def test_xml_gbk_records_and_truncation(tmp_path: Path) -> None:
    recs = "".join(
        f"<记录 抽查编号=\"C{i}\"><企业名称>深圳市{i}公司</企业名称><结果>合格</结果><更新时间>2026-01-0{i}</更新时间></记录>"
        for i in range(1, 4)
    )
    (tmp_path / "a.xml").write_bytes(f'<?xml version="1.0" encoding="GBK"?>\n<数据>{recs}</数据>'.encode("gbk"))
    (tmp_path / "b.xml").write_bytes(f'<?xml version="1.0" encoding="UTF-8"?>\n<数据>{recs}'.encode()[:-20])
    msgs = read(tmp_path, "spot_checks_xml")
    a_rows = [r for r in rows(msgs) if r.location.startswith("a.xml")]
    assert [r.record_id for r in a_rows] == ["C1", "C2", "C3"]
    assert a_rows[1].data["企业名称"] == "深圳市2公司" and a_rows[1].location == "a.xml record 2"
    b_rows = [r for r in rows(msgs) if r.location.startswith("b.xml")]
    assert [r.record_id for r in b_rows] == ["C1", "C2"]
    (fault,) = faults(msgs)
    assert fault.location.startswith("b.xml after record 2") and "截断" in fault.reason
    (tmp_path / "c.xml").write_text(f"<数据>{recs}<记录 抽查编号", encoding="utf-8")  # cut mid-tag
    c_msgs = read(tmp_path, "spot_checks_xml", state=msgs[-1].state)
    assert [r.record_id for r in rows(c_msgs)] == ["C1", "C2", "C3"]
    (c_fault,) = faults(c_msgs)
    assert c_fault.location.startswith("c.xml after record 3 (line 1)") and "XML 格式错误或文件被截断" in c_fault.reason
    (drift,) = [m for m in msgs if isinstance(m, SchemaDrift) and m.location.startswith("a.xml")]
    assert drift.missing == ["组织机构代码"]


def test_xml_missing_required_column(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text("<数据><记录><企业名称>甲</企业名称></记录></数据>", encoding="utf-8")
    msgs = read(tmp_path, "spot_checks_xml")
    (fault,) = faults(msgs)
    assert fault.field == "抽查编号" and not rows(msgs)


# --- hostile CSV files (issue 11): each row stands or falls on its own, buffers are bounded ---


def test_field_over_the_csv_limit_is_a_fault_for_that_row_only(tmp_path: Path) -> None:
    import csv

    huge = "长" * (csv.field_size_limit() + 10)
    (tmp_path / "a.csv").write_text(HEADER + line(1) + f"C0002,{huge},x,合格,2026-01-01\n" + line(3), encoding="utf-8")
    (tmp_path / "b.csv").write_text(HEADER + line(4), encoding="utf-8")
    msgs = read(tmp_path)
    assert [r.record_id for r in rows(msgs)] == ["C0001", "C0003", "C0004"]
    (fault,) = faults(msgs)
    assert fault.location == "a.csv row 2 (line 3)" and fault.field == "企业名称"
    assert "企业名称" in fault.reason and str(csv.field_size_limit()) in fault.reason
    assert len(fault.raw) <= 4000  # the huge value is not copied whole into quarantine
    files = [m for m in msgs if isinstance(m, StateCheckpoint)][-1].state["files"]
    assert set(files) == {"a.csv", "b.csv"}


@pytest.mark.parametrize("codec", ["gbk", "gb18030", "utf-8"])
def test_stray_quote_loses_only_its_own_row(tmp_path: Path, codec: str) -> None:
    text = HEADER + line(1) + 'C0002,"深圳市引号公司,x,合格,2026-01-02\n' + line(3) + line(4) + line(5)
    (tmp_path / "a.csv").write_bytes(text.encode(codec))
    msgs = read(tmp_path, encoding="auto")
    assert [r.record_id for r in rows(msgs)] == ["C0001", "C0003", "C0004", "C0005"]
    (fault,) = faults(msgs)
    assert fault.location == "a.csv row 2 (line 3)"
    assert "引号" in fault.reason and "第 3 行" in fault.reason and "截断" not in fault.reason
    assert fault.raw == 'C0002,"深圳市引号公司,x,合格,2026-01-02'
    assert rows(msgs)[1].location == "a.csv row 3 (line 4)"


@pytest.mark.parametrize("codec", ["gb18030", "utf-8"])
def test_two_stray_quotes_do_not_merge_the_rows_between(tmp_path: Path, codec: str) -> None:
    text = HEADER + 'C0001,"甲公司,x,合格,2026-01-01\n' + line(2) + 'C0003,乙公司,"x,合格,2026-01-03\n' + line(4)
    (tmp_path / "a.csv").write_bytes(text.encode(codec))
    msgs = read(tmp_path)
    assert [r.record_id for r in rows(msgs)] == ["C0002", "C0004"]
    assert [f.location for f in faults(msgs)] == ["a.csv row 1 (line 2)", "a.csv row 3 (line 4)"]


def test_quote_inside_an_unquoted_field_is_a_character_not_a_record_boundary(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + 'C0001,深圳市"华信科技有限公司,x,合格,2026-01-01\n' + line(2), encoding="gbk")
    msgs = read(tmp_path)
    assert not faults(msgs)
    assert [r.data["企业名称"] for r in rows(msgs)][0] == '深圳市"华信科技有限公司'


def test_multiline_quoted_field_is_bounded_by_lines_and_bytes(tmp_path: Path) -> None:
    body = "".join(f"第{i}行说明\n" for i in range(50))
    (tmp_path / "a.csv").write_text(HEADER + f'C0001,"{body}公司",x,合格,2026-01-01\n' + line(2), encoding="utf-8")
    ok = read(tmp_path)
    assert [r.record_id for r in rows(ok)] == ["C0001", "C0002"] and not faults(ok)

    by_lines = read(tmp_path, csv_max_record_lines=10)
    (fault,) = faults(by_lines)[:1]
    assert fault.location == "a.csv row 1 (line 2)" and "10 行" in fault.reason
    assert "C0002" in [r.record_id for r in rows(by_lines)]
    assert len(fault.raw.splitlines()) <= 10

    by_bytes = read(tmp_path, csv_max_record_bytes=200)
    assert faults(by_bytes)[0].location == "a.csv row 1 (line 2)" and "200 字节" in faults(by_bytes)[0].reason
    assert "C0002" in [r.record_id for r in rows(by_bytes)]


def test_overlong_physical_line_is_a_fault_and_never_held_whole(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + line(1) + "C0002," + "x" * 5000 + ",x,合格,2026-01-01\n" + line(3), encoding="utf-8")
    msgs = read(tmp_path, csv_max_record_bytes=1000)
    assert [r.record_id for r in rows(msgs)] == ["C0001", "C0003"]
    (fault,) = faults(msgs)
    assert fault.location == "a.csv row 2 (line 3)" and "1000 字节" in fault.reason
    assert len(fault.raw) <= 1000


@pytest.mark.parametrize(
    ("text", "open_after"),
    [
        ("a,b,c\n", False),
        ('a,"b,c",d\n', False),
        ('a"b,c\n', False),  # a quote inside an unquoted field is a character
        ('"abc"def"g,h\n', False),  # after a closing quote csv keeps reading the same field
        ('"a""b",c\n', False),  # "" is an escaped quote
        ('"abc""\n', True),  # ... so this quoted field is still open
        ('x,"\n', True),
        ('x,"multi\n', True),
        ('x,"",y\n', False),
        ('x;"a;b";c\n', False),
    ],
)
def test_quote_state_matches_the_csv_module(text: str, open_after: bool) -> None:
    import csv

    from connectors.sdk.transports.csv_records import ends_inside_quotes

    delimiter = ";" if ";" in text else ","
    assert ends_inside_quotes(text, delimiter, False) is open_after
    if not open_after:  # csv agrees: the line alone is one complete record
        assert len(list(csv.reader([text], delimiter=delimiter))) == 1
