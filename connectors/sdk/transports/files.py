"""File-drop transports: CSV, XLSX, XML and JSON Lines files in a watched folder.

Usage (a declarative stream does this for you, see connectors.sdk.streams):

    spec = RowSpec(department="quality_supervision", stream="spot_checks",
                   columns=("编号", "名称"), required=("编号",), record_id_column="编号")
    drop = FileDropTransport(Path("/drops/zj"), "spotchecks_*.csv",
                             lambda p: read_csv_file(p, spec, encoding="auto"), spec)
    for msg in drop.read(state):      # state = {"files": {"a.csv": "<mtime_ns>:<size>"}} or None
        ...

Rules (each is tested in tests/connectors/test_files.py):
- Files are streamed line by line / element by element; nothing holds a whole file.
- CSV and JSONL decode each physical line on its own: an undecodable line becomes a
  SourceFault whose raw is the hex of its bytes; the rest of the file is read.
- Encoding: declared (utf-8, utf-8-sig, gbk, gb18030) or 'auto' = BOM → utf-8-sig, else the one of
  utf-8 / gb18030 with fewer undecodable lines in the first 2000 (ties → utf-8).
- Wrong column count → SourceFault naming expected and actual counts. A last line without newline
  that is short, or an unclosed quote at EOF with no complete row after it → SourceFault "file truncated".
- Each CSV row stands or falls on its own (csv_records.py): a stray quote faults its own line
  only and the rows after it are read; a field over csv.field_size_limit() faults its row,
  naming the column; a line or quoted multi-line record is held only up to
  CsvLimits (connector options csv_max_record_lines / csv_max_record_bytes).
- A 0-byte file (no header) → one SourceFault "empty export" (the file counts as processed);
  a header-only file is a valid empty export.
- Header drift: extra / missing mapped columns → SchemaDrift (mapped columns still read).
  A missing *required* column → SchemaDrift + one SourceFault naming department, file and column;
  that file stops and is NOT marked processed (re-read once fixed); other files continue.
- `settle_s` skips files modified in the last N seconds (an export still being copied in).
- State is the map of processed files to "mtime_ns:size"; a checkpoint follows each finished
  file, so a re-sync reads only new or changed files and a killed sync resumes at the file it was in.
"""

from __future__ import annotations

import codecs
import csv
import json
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

from connectors.sdk.base import Message, StateCheckpoint
from connectors.sdk.rows import RowSpec, jsonable, raw_text
from connectors.sdk.transports.csv_records import (
    BrokenRecord,
    CsvLimits,
    CsvRecordReader,
    Line,
    Record,
    field_lengths,
    physical_lines,
)
from credithub.errors import FatalSourceError

FileReader = Callable[[Path], Generator[Message, None, bool]]
"""Reads one file; the generator's return value says whether the file was read to the end."""

_BOM = codecs.BOM_UTF8
_SAMPLE_LINES = 2000


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8 or gb18030 (a superset of GBK), judged on the first lines."""
    with path.open("rb") as f:
        if f.read(3) == _BOM:
            return "utf-8-sig"
        f.seek(0)
        bad_utf8 = bad_gb = 0
        for i, line in enumerate(f):
            if i >= _SAMPLE_LINES:
                break
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad_utf8 += 1
            try:
                line.decode("gb18030")
            except UnicodeDecodeError:
                bad_gb += 1
    return "utf-8" if bad_utf8 <= bad_gb else "gb18030"


def _codec(path: Path, encoding: str | None) -> str:
    enc = (encoding or "auto").lower()
    return detect_encoding(path) if enc == "auto" else enc


def _decode(raw: bytes, codec: str, first: bool) -> str:
    if codec == "utf-8-sig":
        if first and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        return raw.decode("utf-8")
    return raw.decode(codec)


def _strip_eol(text: str) -> str:
    return text.rstrip("\r\n")


def read_csv_file(
    path: Path,
    spec: RowSpec,
    *,
    encoding: str | None = "auto",
    delimiter: str = ",",
    limits: CsvLimits | None = None,
) -> Generator[Message, None, bool]:
    """Stream one CSV file; see the module docstring for the fault rules and csv_records for record cutting."""
    name = path.name
    codec = _codec(path, encoding)
    limits = limits or CsvLimits()
    if path.stat().st_size == 0:
        yield spec.fault(f"{name}", f"空文件：导出既无表头也无数据（部门 {spec.department}）", "")
        return True
    header: list[str] | None = None
    rec_no = 0  # data rows seen, faulty ones included
    with path.open("rb") as f:
        reader = CsvRecordReader(physical_lines(f, _line_decoder(codec), limits), delimiter, limits)
        for item in reader:
            if header is None:
                values, problem = _header_values(item, codec, limits)
                if problem is not None:
                    yield spec.fault(f"{name} line {_first_line(item)} (header)", problem, _item_raw(item))
                    return False
                header = [h.strip() for h in values]
                reader.width = len(header)
                drift, missing = spec.header_drift(header, f"{name} header")
                if drift is not None:
                    yield drift
                if missing:
                    yield spec.missing_required_fault(f"{name} header", missing, _strip_eol(_item_raw(item)))
                    return False
                continue
            rec_no += 1
            if type(item) is Record:  # the common case first
                where = f"{name} row {rec_no} (line {item.lines[0].lineno})"
                yield _record_message(spec, where, item, header, delimiter)
            elif isinstance(item, Line):
                where = f"{name} row {rec_no} (line {item.lineno})"
                yield _line_fault(spec, where, item, codec, limits)
            else:
                where = f"{name} row {rec_no} (line {item.first_line})"
                yield spec.fault(where, _broken_reason(item, len(header), limits), raw_text(_strip_eol(item.text)))
    return True


def _line_decoder(codec: str) -> Callable[[bytes, bool], str]:
    if codec == "utf-8-sig":
        return lambda raw, first: _decode(raw, codec, first)
    return lambda raw, _first: raw.decode(codec)  # no BOM to strip: skip the per-line branch


def _first_line(item: Line | Record | BrokenRecord) -> int:
    return item.lineno if isinstance(item, Line) else item.first_line


def _item_raw(item: Line | Record | BrokenRecord) -> str:
    if isinstance(item, Line):
        return item.text if item.text is not None else item.raw.hex()
    return raw_text(item.text)


def _header_values(item: Line | Record | BrokenRecord, codec: str, limits: CsvLimits) -> tuple[list[str], str | None]:
    """The header's cells, or why the header cannot be read (the file then stops)."""
    if isinstance(item, Line) and item.decode_error is not None:
        return [], f"表头无法按 {codec} 解码：{item.decode_error.reason}，该文件停止读取"
    if isinstance(item, Line):
        return [], f"表头超过 {limits.max_record_bytes} 字节上限，该文件停止读取"
    if isinstance(item, BrokenRecord):
        return [], f"表头引号不成对（第 {item.first_line} 行），该文件停止读取"
    if item.error is not None:
        return [], f"表头无法解析：{item.error}，该文件停止读取"
    return item.values, None


def _line_fault(spec: RowSpec, where: str, line: Line, codec: str, limits: CsvLimits) -> Message:
    if line.decode_error is not None:
        exc = line.decode_error
        return spec.fault(
            where,
            f"该行无法按 {codec} 解码（第 {exc.start} 字节：{exc.reason}），原始字节以十六进制保存",
            line.raw.hex(),
        )
    head = line.raw[: limits.max_record_bytes].decode(codec, errors="replace")
    return spec.fault(
        where,
        f"第 {line.lineno} 行长 {line.overlong_bytes} 字节，超过单条记录 {limits.max_record_bytes} 字节上限"
        "（连接器配置 csv_max_record_bytes），只保存开头部分",
        raw_text(head, limits.max_record_bytes),
    )


def _broken_reason(item: BrokenRecord, width: int, limits: CsvLimits) -> str:
    span = f"第 {item.first_line}–{item.last_line} 行"
    if item.kind == "unbalanced_quote":
        return f"引号不成对：第 {item.first_line} 行以引号开始的字段没有闭合，该行单独作为问题记录，其后各行照常读取"
    if item.kind == "eof":
        if not item.ends_with_newline:
            return f"文件被截断：最后一条记录的引号未闭合（{span}）"
        return f"引号未闭合：第 {item.first_line} 行开始的引号字段直到文件结尾都没有闭合（{span}）"
    if item.kind == "too_many_lines":
        return (
            f"引号未闭合：第 {item.first_line} 行开始的引号字段超过 {limits.max_record_lines} 行仍未闭合"
            "（连接器配置 csv_max_record_lines）"
        )
    if item.kind == "too_many_bytes":
        return (
            f"引号未闭合：第 {item.first_line} 行开始的引号字段超过 {limits.max_record_bytes} 字节仍未闭合"
            "（连接器配置 csv_max_record_bytes）"
        )
    if item.kind == "undecodable_continuation":
        return f"记录跨行且后续行无法解码，记录不完整（{span}）"
    return f"列数不符：应为 {width} 列，实际 {item.columns} 列（记录跨{span}）"


def _record_message(spec: RowSpec, where: str, record: Record, header: list[str], delimiter: str) -> Message:
    if record.error is not None:
        return _csv_error_fault(spec, where, record, header, delimiter, record.error)
    text, values = record.text, record.values
    width = len(header)
    if len(values) != width:
        truncated = not record.lines[-1].raw.endswith(b"\n") and len(values) < width
        reason = (
            f"文件被截断：最后一行不完整（应为 {width} 列，实际 {len(values)} 列）"
            if truncated
            else f"列数不符：应为 {width} 列，实际 {len(values)} 列"
        )
        return spec.fault(where, reason, raw_text(_strip_eol(text)))
    return spec.make_row(dict(zip(header, values, strict=True)), where)


def _csv_error_fault(
    spec: RowSpec, where: str, record: Record, header: list[str], delimiter: str, exc: csv.Error
) -> Message:
    """csv refused the record (e.g. a field over csv.field_size_limit()): name the field when it is that."""
    limit = csv.field_size_limit()
    lengths = field_lengths(record.text, delimiter)
    longest = max(range(len(lengths)), key=lengths.__getitem__)
    if lengths[longest] > limit:
        column = header[longest] if longest < len(header) else f"第 {longest + 1} 列"
        return spec.fault(
            where,
            f"字段 {column} 长 {lengths[longest]} 字符，超过 CSV 字段上限 {limit} 字符（第 {record.first_line} 行），"
            "该行作为问题记录保存",
            raw_text(_strip_eol(record.text)),
            field=column,
        )
    return spec.fault(where, f"CSV 格式错误（第 {record.first_line} 行）：{exc}", raw_text(_strip_eol(record.text)))


def read_jsonl_file(path: Path, spec: RowSpec, *, encoding: str | None = "auto") -> Generator[Message, None, bool]:
    """Stream one JSON Lines file: one object per line; a bad line is a fault, the rest is read."""
    name = path.name
    codec = _codec(path, encoding)
    if path.stat().st_size == 0:
        yield spec.fault(name, f"空文件：导出没有任何记录（部门 {spec.department}）", "")
        return True
    drift_checked = False
    rec_no = 0
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                text = _decode(raw, codec, lineno == 1)
            except UnicodeDecodeError as exc:
                rec_no += 1
                yield spec.fault(
                    f"{name} row {rec_no} (line {lineno})",
                    f"该行无法按 {codec} 解码（{exc.reason}），原始字节以十六进制保存",
                    raw.hex(),
                )
                continue
            if not text.strip():
                continue
            rec_no += 1
            where = f"{name} row {rec_no} (line {lineno})"
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                truncated = not raw.endswith(b"\n")
                reason = "文件被截断：最后一行 JSON 不完整" if truncated else f"JSON 格式错误：{exc.msg}（第 {exc.colno} 列）"
                yield spec.fault(where, reason, _strip_eol(text))
                continue
            if not isinstance(obj, dict):
                yield spec.fault(where, "该行不是 JSON 对象", _strip_eol(text))
                continue
            if not drift_checked:
                drift_checked = True
                drift, missing = spec.header_drift(obj.keys(), f"{name} row {rec_no}")
                if drift is not None:
                    yield drift
                if missing:
                    yield spec.missing_required_fault(where, missing, _strip_eol(text))
                    return False
            missing_here = [c for c in spec.required if c not in obj]
            if missing_here:
                yield spec.fault(where, f"记录缺少必需字段 {'、'.join(missing_here)}", _strip_eol(text), missing_here[0])
                continue
            yield spec.make_row({str(k): jsonable(v) for k, v in obj.items()}, where)
    return True


def _cell(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, str):
        return value
    return jsonable(value)


def read_xlsx_file(path: Path, spec: RowSpec, *, sheet: str | None = None) -> Generator[Message, None, bool]:
    """Stream one XLSX sheet (openpyxl read_only).

    The header is the first non-empty row that is not a caption: government exports often put a
    title such as "2026年10月抽查结果" in a merged first row, i.e. a row with a single cell.
    """
    from openpyxl import load_workbook

    name = path.name
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        yield spec.fault(name, f"XLSX 文件损坏或被截断，无法打开：{exc}", "")
        return True
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            yield spec.fault(name, f"工作表 {sheet} 不存在（现有：{'、'.join(wb.sheetnames)}）", "", field=sheet)
            return False
        ws = wb[sheet] if sheet else wb.worksheets[0]
        title = ws.title
        header: list[str] | None = None
        rec_no = 0
        captions = 0
        for rowno, row in enumerate(ws.iter_rows(values_only=True), 1):
            cells = list(row)
            while cells and (cells[-1] is None or cells[-1] == ""):
                cells.pop()
            if not cells:
                continue
            filled = sum(c not in (None, "") for c in cells)
            if header is None and filled == 1 and len(spec.columns) > 1 and captions < 10:
                captions += 1
                continue
            if header is None:
                header = [str(c).strip() if c is not None else "" for c in cells]
                drift, missing = spec.header_drift(header, f"{name} sheet {title} header")
                if drift is not None:
                    yield drift
                if missing:
                    yield spec.missing_required_fault(f"{name} sheet {title} header", missing, raw_text(header))
                    return False
                continue
            rec_no += 1
            where = f"{name} sheet {title} row {rec_no} (line {rowno})"
            if len(cells) > len(header):
                yield spec.fault(
                    where, f"列数不符：表头 {len(header)} 列，该行有 {len(cells)} 列数据", raw_text([_cell(c) for c in cells])
                )
                continue
            cells += [None] * (len(header) - len(cells))
            yield spec.make_row({h: _cell(c) for h, c in zip(header, cells, strict=True)}, where)
        if header is None:
            yield spec.fault(name, f"空文件：工作表 {title} 没有表头也没有数据（部门 {spec.department}）", "")
        return True
    finally:
        wb.close()


def _element_data(elem: ET.Element) -> dict[str, Any]:
    data: dict[str, Any] = dict(elem.attrib)
    for child in elem:
        text = (child.text or "").strip()
        data[child.tag] = text if text or len(child) == 0 else ET.tostring(child, encoding="unicode")
    return data


def read_xml_file(
    path: Path, spec: RowSpec, *, record_tag: str, encoding: str | None = "auto", chunk_size: int = 1 << 16
) -> Generator[Message, None, bool]:
    """Stream one XML file: each <record_tag> element (attributes + child texts) is a record.

    Bytes are decoded in Python (expat cannot parse GBK), fed incrementally, and each record
    element is detached once read so memory stays flat. Malformed or truncated XML yields one
    SourceFault after the records before it; the rest of that file cannot be parsed.
    """
    name = path.name
    if path.stat().st_size == 0:
        yield spec.fault(name, f"空文件：导出没有任何记录（部门 {spec.department}）", "")
        return True
    codec = _xml_codec(path, encoding)
    decoder = codecs.getincrementaldecoder("utf-8" if codec == "utf-8-sig" else codec)(errors="strict")
    parser = ET.XMLPullParser(events=("start", "end"))
    stack: list[ET.Element] = []
    counter = {"rec": 0, "drift_checked": 0}
    first = True
    with path.open("rb") as f:
        while True:
            chunk = f.read(chunk_size)
            final = not chunk
            if first and chunk.startswith(_BOM):
                chunk = chunk[len(_BOM):]
            first = False
            error: Exception | None = None
            try:
                text = decoder.decode(chunk, final=final)
                if text:
                    parser.feed(text)
                if final:
                    parser.close()
            except (UnicodeDecodeError, ET.ParseError) as exc:
                error = exc
            # Records completed before an error were queued and still count.
            stopped = yield from _xml_records(parser, stack, spec, record_tag, name, counter)
            if stopped:
                return False
            if isinstance(error, UnicodeDecodeError):
                truncated = final and error.reason == "unexpected end of data"
                reason = (
                    "文件被截断：最后一个字符不完整" if truncated
                    else f"XML 无法按 {codec} 解码（{error.reason}），该文件其余部分无法读取"
                )
                bad = bytes(error.object)
                yield spec.fault(
                    f"{name} after record {counter['rec']}", reason, bad[max(0, error.start - 32): error.end + 32].hex()
                )
                return True
            if isinstance(error, ET.ParseError):
                yield spec.fault(
                    f"{name} after record {counter['rec']} (line {error.position[0]})",
                    f"XML 格式错误或文件被截断：{error}",
                    "",
                )
                return True
            if final:
                break
    return True  # a well-formed export with no records is a valid empty export


def _xml_records(
    parser: ET.XMLPullParser,
    stack: list[ET.Element],
    spec: RowSpec,
    record_tag: str,
    name: str,
    counter: dict[str, int],
) -> Generator[Message, None, bool]:
    """Emit completed record elements; returns True when a missing required column stops the file."""
    try:
        events = list(parser.read_events())
    except ET.ParseError:
        events = []
    for event, elem in events:
        if event == "start":
            stack.append(elem)
            continue
        stack.pop()
        if elem.tag != record_tag:
            continue
        counter["rec"] += 1
        data = _element_data(elem)
        if stack:
            stack[-1].remove(elem)  # detach so memory stays flat
        where = f"{name} record {counter['rec']}"
        if not counter["drift_checked"]:
            counter["drift_checked"] = 1
            drift, missing = spec.header_drift(data.keys(), where)
            if drift is not None:
                yield drift
            if missing:
                yield spec.missing_required_fault(where, missing, raw_text(data))
                return True
        yield spec.make_row(data, where)
    return False


def _xml_codec(path: Path, encoding: str | None) -> str:
    enc = (encoding or "auto").lower()
    if enc != "auto":
        return enc
    with path.open("rb") as f:
        head = f.read(200)
    if head.startswith(_BOM):
        return "utf-8-sig"
    decl = head.split(b"?>", 1)[0].lower()
    if b"encoding=" in decl:
        declared = decl.split(b"encoding=", 1)[1][1:].split(b'"')[0].split(b"'")[0].decode("ascii", "replace")
        try:
            return codecs.lookup(declared).name
        except LookupError:
            pass
    return detect_encoding(path)


class FileDropTransport:
    """Files matching a glob in a folder; reads only new or changed files after `state`."""

    def __init__(self, directory: Path, pattern: str, reader: FileReader, spec: RowSpec, *, settle_s: float = 0) -> None:
        self.directory = Path(directory)
        self.settle_s = settle_s
        self.pattern = pattern
        self.reader = reader
        self.spec = spec

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            raise FatalSourceError(
                "file-drop folder does not exist or is not a directory",
                department=self.spec.department,
                stream=self.spec.stream,
                directory=str(self.directory),
            )
        return sorted(p for p in self.directory.glob(self.pattern) if p.is_file())

    @staticmethod
    def signature(path: Path) -> str:
        st = path.stat()
        return f"{st.st_mtime_ns}:{st.st_size}"

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        processed: dict[str, str] = dict((state or {}).get("files", {}))
        now = time.time()
        for path in self.files():
            if self.settle_s and now - path.stat().st_mtime < self.settle_s:
                continue  # still being written: a half file would quarantine rows that are fine
            key = path.relative_to(self.directory).as_posix()
            sig = self.signature(path)
            if processed.get(key) == sig:
                continue
            completed = yield from self.reader(path)
            if completed:
                processed[key] = sig
                yield StateCheckpoint(stream=self.spec.stream, state={"files": dict(processed)})
