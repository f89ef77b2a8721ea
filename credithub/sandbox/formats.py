"""Writers for the native formats departments publish in.

`broken` lines are raw bytes written verbatim at given row positions: they are what a
real export contains when it goes wrong (wrong column count, undecodable bytes, bad JSON).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
from pathlib import Path
from xml.sax.saxutils import escape

_FIXED_TIME = dt.datetime(2026, 11, 1, 8, 0, 0)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def write_csv(
    path: Path,
    columns: list[str],
    rows: list[dict[str, object]],
    *,
    encoding: str,
    bom: bool = False,
    broken: dict[int, bytes] | None = None,
) -> None:
    broken = broken or {}
    out = io.BytesIO()
    if bom:
        out.write("\ufeff".encode("utf-8"))

    def line(values: list[str]) -> bytes:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow(values)
        # A GBK export cannot hold characters outside GBK (rare name characters): the exporting
        # system writes '?' instead, as real ones do. GB18030 and UTF-8 hold everything.
        return buf.getvalue().encode(encoding, errors="replace")

    out.write(line(columns))
    for i, row in enumerate(rows):
        if i in broken:
            out.write(broken[i])
        out.write(line([_cell(row.get(c)) for c in columns]))
    path.write_bytes(out.getvalue())


def write_sqlite(path: Path, tables: dict[str, tuple[list[str], list[dict[str, object]]]]) -> None:
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    try:
        for table, (columns, rows) in tables.items():
            conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} TEXT' for c in columns)})")
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [[None if r.get(c) is None else _cell(r.get(c)) for c in columns] for r in rows],
            )
        conn.commit()
    finally:
        conn.close()


def write_xlsx(path: Path, sheet: str, columns: list[str], rows: list[dict[str, object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(columns)
    for row in rows:
        ws.append([row.get(c) for c in columns])
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "CreditHub sandbox"
    wb.save(path)


def write_xml(
    path: Path,
    root: str,
    item: str,
    columns: list[str],
    rows: list[dict[str, object]],
    attrs: dict[str, str] | None = None,
) -> None:
    head = " ".join(f'{k}="{escape(v)}"' for k, v in (attrs or {}).items())
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}{' ' + head if head else ''}>"]
    for row in rows:
        parts.append(f"  <{item}>")
        for c in columns:
            value = row.get(c)
            parts.append(f"    <{c}/>" if value is None else f"    <{c}>{escape(_cell(value))}</{c}>")
        parts.append(f"  </{item}>")
    parts.append(f"</{root}>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def write_jsonl(path: Path, rows: list[dict[str, object]], *, broken: dict[int, str] | None = None) -> None:
    broken = broken or {}
    lines = []
    for i, row in enumerate(rows):
        if i in broken:
            lines.append(broken[i])
        lines.append(json.dumps(row, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_api_records(path: Path, rows: list[dict[str, object]]) -> None:
    """The records a sandbox HTTP API serves (sorted by its change time, then id).

    Written to a temporary file and renamed, so a running server never reads half a file.
    """
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")
    os.replace(tmp, path)
