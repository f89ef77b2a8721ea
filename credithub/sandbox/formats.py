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
from collections.abc import Iterable
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
    rows: Iterable[dict[str, object]],
    *,
    encoding: str,
    bom: bool = False,
    broken: dict[int, bytes] | None = None,
) -> None:
    broken = broken or {}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")

    def line(values: list[str]) -> bytes:
        buf.seek(0)
        buf.truncate()
        writer.writerow(values)
        # A GBK export cannot hold characters outside GBK (rare name characters): the exporting
        # system writes '?' instead, as real ones do. GB18030 and UTF-8 hold everything.
        return buf.getvalue().encode(encoding, errors="replace")

    with path.open("wb", buffering=1 << 20) as out:
        if bom:
            out.write("\ufeff".encode("utf-8"))
        out.write(line(columns))
        for i, row in enumerate(rows):
            if i in broken:
                out.write(broken[i])
            out.write(line([_cell(row.get(c)) for c in columns]))


def write_sqlite(path: Path, tables: dict[str, tuple[list[str], Iterable[dict[str, object]]]]) -> None:
    """One table per entry, filled in the order given (each table's rows are consumed before the next)."""
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    try:
        for table, (columns, rows) in tables.items():
            conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} TEXT' for c in columns)})")
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                ([None if r.get(c) is None else _cell(r.get(c)) for c in columns] for r in rows),
            )
        conn.commit()
    finally:
        conn.close()


def write_xlsx(path: Path, sheet: str, columns: list[str], rows: Iterable[dict[str, object]]) -> None:
    from openpyxl import Workbook

    # Write-only mode streams rows to the file; the default mode keeps every cell object in memory.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
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
    rows: Iterable[dict[str, object]],
    attrs: dict[str, str] | None = None,
) -> None:
    head = " ".join(f'{k}="{escape(v)}"' for k, v in (attrs or {}).items())
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}{" " + head if head else ""}>\n')
        for row in rows:
            parts = [f"  <{item}>"]
            for c in columns:
                value = row.get(c)
                parts.append(f"    <{c}/>" if value is None else f"    <{c}>{escape(_cell(value))}</{c}>")
            parts.append(f"  </{item}>\n")
            out.write("\n".join(parts))
        out.write(f"</{root}>\n")


def write_jsonl(path: Path, rows: Iterable[dict[str, object]], *, broken: dict[int, str] | None = None) -> None:
    broken = broken or {}
    written = 0
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        for i, row in enumerate(rows):
            if i in broken:
                out.write(broken[i] + "\n")
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
        if not written:
            out.write("\n")  # as "\n".join([]) + "\n" always wrote


def write_api_records(path: Path, rows: Iterable[dict[str, object]]) -> None:
    """The records a sandbox HTTP API serves (the caller sorts them by change time, then id).

    The file is `json.dumps(rows, ensure_ascii=False, indent=0)`, written record by record to a
    temporary file and renamed, so a running server never reads half a file.
    """
    tmp = path.with_suffix(".json.tmp")
    with tmp.open("w", encoding="utf-8", buffering=1 << 20) as out:
        first = True
        for row in rows:
            out.write("[\n" if first else ",\n")
            out.write(json.dumps(row, ensure_ascii=False, indent=0))
            first = False
        out.write("[]" if first else "\n]")
    os.replace(tmp, path)
