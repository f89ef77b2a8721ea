"""Bounded-memory building blocks for generating a sandbox of any size.

A city-sized sandbox (2.5 million companies, about 11 million records) does not fit in memory
as Python objects: one `Company` model costs about 4 KB and one record dict about 1 KB. So:

- `Population` keeps the companies in `companies.jsonl` and only an offset index and two small
  per-company codes (status, industry tags) in memory; a `Company` is parsed when it is used.
- `Spool` is a list that spills to a temporary file past a threshold, for rows a department must
  count, split or sort before it can write them (small sandboxes never touch the disk).
- `sorted_rows` sorts a spool with bounded memory (sorted runs on disk, merged with heapq).
- `iter_api_records` streams the records of an API file written by `formats.write_api_records`.
"""

from __future__ import annotations

import heapq
import json
import os
import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, overload

from credithub.sandbox.population import Company

Row = dict[str, Any]

SPILL_ROWS = 50_000
"""Rows a spool keeps in memory before it moves them to disk (about 50 MB of dicts)."""
SORT_RUN_ROWS = 200_000
"""Rows sorted in memory at once by `sorted_rows`; longer inputs become several runs on disk."""


class Spool:
    """An append-only list of rows: in memory while small, in a temporary file once large."""

    def __init__(self, spill_rows: int | None = None, tmp_dir: Path | None = None) -> None:
        self._rows: list[Row] = []
        self._file: Any = None  # a NamedTemporaryFile once spilled
        self._count = 0
        self._spill_rows = SPILL_ROWS if spill_rows is None else spill_rows
        self._tmp_dir = tmp_dir

    def append(self, row: Row) -> None:
        self._count += 1
        if self._file is None:
            self._rows.append(row)
            if len(self._rows) >= self._spill_rows:
                self._file = tempfile.NamedTemporaryFile(dir=self._tmp_dir, suffix=".spool")  # noqa: SIM115
                for r in self._rows:
                    pickle.dump(r, self._file, protocol=pickle.HIGHEST_PROTOCOL)
                self._rows = []
        else:
            pickle.dump(row, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Row]:
        if self._file is None:
            yield from self._rows
            return
        self._file.flush()
        # A separate handle, so two passes (or a pass while appending elsewhere) never share a position.
        with open(self._file.name, "rb", buffering=1 << 20) as f:
            # One unpickler per row: each row was pickled with a fresh memo.
            for _ in range(self._count):
                yield pickle.load(f)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._rows = []


def sorted_rows(rows: Iterable[Row], key: Callable[[Row], Any], run_rows: int | None = None) -> Iterator[Row]:
    """`rows` in the order `sorted(rows, key=key)` gives (stable), holding at most `run_rows` in memory."""
    run_rows = SORT_RUN_ROWS if run_rows is None else run_rows
    runs: list[IO[bytes]] = []
    chunk: list[Row] = []

    def flush() -> None:
        chunk.sort(key=key)
        f = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
        for r in chunk:
            pickle.dump(r, f, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, f)
        f.seek(0)
        runs.append(f)
        chunk.clear()

    for row in rows:
        chunk.append(row)
        if len(chunk) >= run_rows:
            flush()
    if not runs:
        chunk.sort(key=key)
        yield from chunk
        return
    if chunk:
        flush()

    def read(f: IO[bytes]) -> Iterator[Row]:
        while (r := pickle.load(f)) is not None:
            yield r

    try:
        # heapq.merge keeps equal keys in run order, and runs are in input order: the sort stays stable.
        yield from heapq.merge(*(read(f) for f in runs), key=key)
    finally:
        for f in runs:
            f.close()


def iter_api_records(path: Path) -> Iterator[Row]:
    """The records of a sandbox API file, one at a time (the file is `json.dumps(rows, indent=0)`).

    With indent=0 every record starts with a line `{` and ends with `}` or `},`; string values
    never hold a raw line break (JSON escapes it), so a record is the lines between the two.
    """
    with path.open(encoding="utf-8") as f:
        first = f.readline()
        if first.strip() == "[]":
            return
        if first.strip() != "[":
            raise ValueError(f"{path}: not a sandbox API file")
        buf: list[str] = []
        for line in f:
            if line.startswith("}"):
                buf.append("}")
                yield json.loads("".join(buf))
                buf = []
            elif line.startswith("]"):
                break
            else:
                buf.append(line)


class _Index:
    """Where each company's line starts in companies.jsonl, plus the codes `sample` needs."""

    def __init__(self) -> None:
        self.offsets = array("q")
        self.status = array("B")
        self.tags = array("B")


STATUSES: tuple[str, ...] = ("存续", "在业", "吊销", "注销")
_TAG_SETS: list[tuple[str, ...]] = []


def _tag_code(tags: tuple[str, ...]) -> int:
    tags = tuple(tags)
    if tags not in _TAG_SETS:
        _TAG_SETS.append(tags)
    return _TAG_SETS.index(tags)


class CompanyFile:
    """companies.jsonl opened for random access: offsets in memory, companies parsed on demand.

    Companies changed in memory (`replace`) are kept aside and written back by `write_to`.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.index = _Index()
        self.changed: dict[int, Company] = {}
        self._fd: int | None = None
        self._end = 0

    @classmethod
    def scan(cls, path: Path) -> CompanyFile:
        """Index an existing companies.jsonl (one pass, no Company objects kept)."""
        out = cls(path)
        pos = 0
        with out.path.open("rb") as f:
            for line in f:
                if line.strip():
                    data = json.loads(line)
                    out._add(pos, data["status"], tuple(data.get("tags") or ()))
                pos += len(line)
        out._end = pos
        return out

    def _add(self, offset: int, status: str, tags: tuple[str, ...]) -> None:
        self.index.offsets.append(offset)
        self.index.status.append(STATUSES.index(status) if status in STATUSES else 255)
        self.index.tags.append(_tag_code(tags))

    def append_line(self, f: IO[bytes], c: Company) -> None:
        """Write `c` as the next line of an open companies.jsonl and index it."""
        line = (c.model_dump_json() + "\n").encode("utf-8")
        self._add(self._end, c.status, c.tags)
        f.write(line)
        self._end += len(line)

    def append_raw(self, f: IO[bytes], line: bytes, status_code: int, tag_code: int) -> None:
        """Write a line already in companies.jsonl form, with its codes from another CompanyFile."""
        self.index.offsets.append(self._end)
        self.index.status.append(status_code)
        self.index.tags.append(tag_code)
        f.write(line)
        self._end += len(line)

    def __len__(self) -> int:
        return len(self.index.offsets)

    def _raw(self, i: int) -> bytes:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        start = self.index.offsets[i]
        end = self.index.offsets[i + 1] if i + 1 < len(self.index.offsets) else self._end
        return os.pread(self._fd, end - start, start)

    def get(self, i: int) -> Company:
        if i in self.changed:
            return self.changed[i]
        return Company.model_validate_json(self._raw(i))

    def iter_range(self, start: int, stop: int) -> Iterator[Company]:
        if start >= stop:
            return
        with self.path.open("rb") as f:
            f.seek(self.index.offsets[start])
            for i in range(start, stop):
                line = f.readline()
                yield self.changed[i] if i in self.changed else Company.model_validate_json(line)

    def replace(self, i: int, c: Company) -> None:
        self.changed[i] = c
        self.index.status[i] = STATUSES.index(c.status) if c.status in STATUSES else 255

    def status_of(self, i: int) -> str | None:
        code = self.index.status[i]
        return STATUSES[code] if code < len(STATUSES) else None

    def has_tag(self, i: int, tag: str) -> bool:
        return tag in _TAG_SETS[self.index.tags[i]]

    def write_to(self, path: Path) -> None:
        """Write the (changed) companies to `path`, line for line; unchanged lines are copied as they are."""
        with self.path.open("rb") as src, Path(path).open("wb") as dst:
            for i, line in enumerate(src):
                dst.write((self.changed[i].model_dump_json() + "\n").encode("utf-8") if i in self.changed else line)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Population(Sequence[Company]):
    """Companies `start`..`stop` of a CompanyFile, as a read-only sequence of `Company` models."""

    def __init__(self, file: CompanyFile, start: int = 0, stop: int | None = None) -> None:
        self.file = file
        self.start = start
        self.stop = len(file) if stop is None else stop

    def __len__(self) -> int:
        return self.stop - self.start

    @overload
    def __getitem__(self, i: int) -> Company: ...
    @overload
    def __getitem__(self, i: slice) -> list[Company]: ...
    def __getitem__(self, i: int | slice) -> Company | list[Company]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.file.get(self.start + i)

    def __iter__(self) -> Iterator[Company]:
        return self.file.iter_range(self.start, self.stop)

    def view(self, start: int, stop: int) -> Population:
        return Population(self.file, self.start + start, self.start + stop)

    def status_of(self, i: int) -> str | None:
        return self.file.status_of(self.start + i)

    def has_tag(self, i: int, tag: str) -> bool:
        return self.file.has_tag(self.start + i, tag)

    def replace(self, i: int, c: Company) -> None:
        self.file.replace(self.start + i, c)

    def company_id(self, i: int) -> str:
        """The population's ids are C00001, C00002, … in file order (see population.build_population)."""
        return f"C{i + 1:05d}"

    def position(self, company_id: str) -> int | None:
        """Where `company_id` is in this population, or None for an id it does not hold."""
        if not company_id.startswith("C") or not company_id[1:].isdigit():
            return None
        i = int(company_id[1:]) - 1
        return i if 0 <= i < len(self) and self.company_id(i) == company_id else None


class Chosen(Sequence[Company]):
    """Some companies of a population (by position), parsed one at a time as they are used."""

    def __init__(self, population: Population, positions: list[int]) -> None:
        self.population = population
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, i: int) -> Company: ...
    @overload
    def __getitem__(self, i: slice) -> list[Company]: ...
    def __getitem__(self, i: int | slice) -> Company | list[Company]:
        if isinstance(i, slice):
            return [self.population[p] for p in self.positions[i]]
        return self.population[self.positions[i]]

    def __iter__(self) -> Iterator[Company]:
        for p in self.positions:
            yield self.population[p]
