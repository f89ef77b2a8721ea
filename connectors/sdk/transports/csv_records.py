"""Cutting a CSV byte stream into records, with bounded memory and one verdict per row.

`read_csv_file` (files.py) asks `CsvRecordReader` for records; this module decides where a
record ends. The rules, because hostile exports are the normal case for department files:

- A physical line is read with a byte cap (`max_record_bytes`): a longer line is reported
  as one overlong line (its head kept for the steward) and the rest is skipped unread.
- A record continues on the next physical line only when the line ends inside a quoted field,
  judged exactly as the csv module does (a quote opens a quoted field only at the start of a
  field; a quote inside an unquoted field is a plain character).
- A multi-line record is accepted when its quotes close and its column count is right.
  Otherwise (quote never closes before EOF, wrong column count, or the record grows past
  `max_record_lines` / `max_record_bytes`) the quote was probably stray: if any of the
  following lines is a complete row on its own, the first line alone becomes the fault
  ("unbalanced quote in line N") and the following lines are read again as rows of their own.
  If none of them is, the buffered lines are one broken record (e.g. a file cut inside a
  quoted field) and become one fault.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

_START_FIELD, _IN_FIELD, _IN_QUOTED, _QUOTE_IN_QUOTED = range(4)
_EOL = "\r\n"
_DRAIN_CHUNK = 1 << 16

DEFAULT_MAX_RECORD_LINES = 100
DEFAULT_MAX_RECORD_BYTES = 1 << 20


@dataclass(frozen=True)
class CsvLimits:
    """Caps on one record; a connector sets them with FileDropConfig.csv_max_record_*."""

    max_record_lines: int = DEFAULT_MAX_RECORD_LINES
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES


@dataclass(slots=True)
class Line:
    """One physical line: decoded text, or why it could not be used."""

    lineno: int
    raw: bytes
    text: str | None = None
    decode_error: UnicodeDecodeError | None = None
    overlong_bytes: int | None = None  # total size of a line longer than the cap (raw holds its head)


@dataclass(slots=True)
class Record:
    """A complete record: the lines it spans (more than one when a quoted field holds newlines),
    its fields as csv parsed them, or csv's error (e.g. a field over csv.field_size_limit())."""

    lines: list[Line]
    text: str
    values: list[str]
    error: csv.Error | None = None

    @property
    def raw(self) -> bytes:
        return b"".join(line.raw for line in self.lines)

    @property
    def first_line(self) -> int:
        return self.lines[0].lineno


BrokenKind = Literal[
    "unbalanced_quote", "eof", "too_many_lines", "too_many_bytes", "undecodable_continuation", "columns"
]


@dataclass(slots=True)
class BrokenRecord:
    """Lines that cannot form one record, reported as one fault."""

    kind: BrokenKind
    text: str
    first_line: int
    last_line: int
    columns: int = 0
    ends_with_newline: bool = True


Item = Line | Record | BrokenRecord


def ends_inside_quotes(text: str, delimiter: str, in_quotes: bool) -> bool:
    """Whether `text` (one physical line) leaves a quoted field open, as csv's default dialect parses it."""
    if '"' not in text:
        return in_quotes  # the common case costs one C-level scan
    if not in_quotes and _complete_line(delimiter).fullmatch(text):
        return False  # well-formed quoting: one regex match instead of a Python loop per character
    state = _IN_QUOTED if in_quotes else _START_FIELD
    for ch in text:
        if state == _START_FIELD:
            if ch == '"':
                state = _IN_QUOTED
            elif ch != delimiter and ch not in _EOL:
                state = _IN_FIELD
        elif state == _IN_FIELD:
            if ch == delimiter or ch in _EOL:
                state = _START_FIELD
        elif state == _IN_QUOTED:
            if ch == '"':
                state = _QUOTE_IN_QUOTED
        elif ch == '"':  # "" inside a quoted field is an escaped quote
            state = _IN_QUOTED
        elif ch == delimiter or ch in _EOL:
            state = _START_FIELD
        else:  # csv (non-strict) keeps characters after a closing quote in the same field
            state = _IN_FIELD
    return state == _IN_QUOTED


@functools.cache
def _complete_line(delimiter: str) -> re.Pattern[str]:
    """A line whose quoted fields all close, in csv's (non-strict) reading.

    Possessive `*+` so that `""` is always an escaped quote, never a closing quote followed by
    an opening one: the same choice the csv state machine makes.
    """
    d = re.escape(delimiter)
    field = rf'(?:"(?:[^"]|"")*+"[^{d}\r\n]*|[^"{d}\r\n][^{d}\r\n]*|)'
    return re.compile(rf"{field}(?:{d}{field})*(?:\r?\n)?")


def field_lengths(text: str, delimiter: str) -> list[int]:
    """Length of every field of one record (error path only: names the field csv refused)."""
    lengths = [0]
    state = _START_FIELD
    for ch in text.rstrip(_EOL):
        if state in (_START_FIELD, _IN_FIELD, _QUOTE_IN_QUOTED) and ch == delimiter:
            lengths.append(0)
            state = _START_FIELD
        elif state == _START_FIELD and ch == '"':
            state = _IN_QUOTED
        elif state == _IN_QUOTED and ch == '"':
            state = _QUOTE_IN_QUOTED
        elif state == _QUOTE_IN_QUOTED and ch == '"':
            lengths[-1] += 1
            state = _IN_QUOTED
        else:
            lengths[-1] += 1
            if state != _IN_QUOTED:
                state = _IN_FIELD
    return lengths


def parse_record(text: str, delimiter: str) -> list[str]:
    """The fields of one complete record; raises csv.Error (e.g. a field over csv.field_size_limit())."""
    return next(csv.reader((text,), delimiter=delimiter), [])


def physical_lines(f: BinaryIO, decode: Callable[[bytes, bool], str], limits: CsvLimits) -> Iterator[Line]:
    """Lines of `f` (binary) with at most max_record_bytes held; `decode(raw, is_first_line)` decodes one."""
    cap = limits.max_record_bytes
    lineno = 0
    while True:
        raw = f.readline(cap + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > cap and not raw.endswith(b"\n"):
            total = len(raw)
            head = raw[:cap]
            while not raw.endswith(b"\n"):
                raw = f.readline(_DRAIN_CHUNK)  # skipped unread: only its size is kept
                if not raw:
                    break
                total += len(raw)
            yield Line(lineno, head, overlong_bytes=total)
            continue
        try:
            text = decode(raw, lineno == 1)
        except UnicodeDecodeError as exc:
            yield Line(lineno, raw, decode_error=exc)
            continue
        yield Line(lineno, raw, text=text)


class CsvRecordReader:
    """Turns physical lines into complete records, unusable lines and broken records.

    `width` (the header's column count) is set by the caller once the header is read; until
    then a multi-line header is accepted as long as its quotes close.
    """

    def __init__(self, lines: Iterator[Line], delimiter: str, limits: CsvLimits) -> None:
        self._source = lines
        self._replay: deque[Line] = deque()
        self.delimiter = delimiter
        self.limits = limits
        self.width: int | None = None

    def _record(self, lines: list[Line], text: str) -> Record:
        try:
            return Record(lines, text, parse_record(text, self.delimiter))
        except csv.Error as exc:
            return Record(lines, text, [], exc)

    def _stands_alone(self, line: Line) -> bool:
        """A line that is a complete, well-formed row by itself."""
        if line.text is None or not line.text.strip() or self.width is None:
            return False
        if ends_inside_quotes(line.text, self.delimiter, False):
            return False
        try:
            return len(parse_record(line.text, self.delimiter)) == self.width
        except csv.Error:
            return False

    def _give_up(self, pending: list[Line], kind: BrokenKind, columns: int = 0) -> BrokenRecord:
        """A multi-line record that cannot stand: split off a stray quote's line, or report all of it."""
        first, rest = pending[0], pending[1:]
        if any(self._stands_alone(line) for line in rest):
            self._replay.extendleft(reversed(rest))
            return BrokenRecord("unbalanced_quote", first.text or "", first.lineno, first.lineno)
        return BrokenRecord(
            kind,
            "".join(line.text or "" for line in pending),
            first.lineno,
            pending[-1].lineno,
            columns=columns,
            ends_with_newline=pending[-1].raw.endswith(b"\n"),
        )

    def __iter__(self) -> Iterator[Item]:
        pending: list[Line] = []
        size = 0
        replay, source, delimiter = self._replay, self._source, self.delimiter
        while True:
            line = replay.popleft() if replay else next(source, None)
            if line is None:
                if not pending:
                    return
                yield self._give_up(pending, "eof")
                pending, size = [], 0
                continue
            if line.text is None:
                if pending:
                    # The unusable line comes after whatever the pending lines turn out to be.
                    self._replay.appendleft(line)
                    yield self._give_up(pending, "undecodable_continuation")
                    pending, size = [], 0
                    continue
                yield line
                continue
            text = line.text
            if not pending:
                if '"' not in text:  # the common case: a whole record on one line, no quoting to follow
                    if text.strip():
                        yield self._record([line], text)
                    continue
                if not text.strip():
                    continue  # blank line between records
            pending.append(line)
            size += len(line.raw)
            if ends_inside_quotes(text, delimiter, len(pending) > 1):
                if len(pending) >= self.limits.max_record_lines:
                    yield self._give_up(pending, "too_many_lines")
                    pending, size = [], 0
                elif size > self.limits.max_record_bytes:
                    yield self._give_up(pending, "too_many_bytes")
                    pending, size = [], 0
                continue
            lines, pending, size = pending, [], 0
            record = self._record(lines, text if len(lines) == 1 else "".join(p.text or "" for p in lines))
            if len(lines) > 1 and self.width is not None and len(record.values) != self.width:
                # Re-cut the lines: a stray quote must not take the rows after it down with it.
                yield self._give_up(lines, "columns", -1 if record.error else len(record.values))
                continue
            yield record
