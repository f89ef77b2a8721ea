"""The standalone contract: records.jsonl in, clusters.jsonl out (no database, no server).

Input line:  {"source", "record_id", "name", "uscc", "reg_no", "org_code", "tax_no", "address",
              "legal_rep", "established"}   (optional extras: "former_names", "is_register")
Output line: {"source", "record_id", "entity_id"} — one per input line, in input order.
"""

from __future__ import annotations

import json
import marshal
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from entity_resolution.matcher import (
    MatcherConfig,
    MatchRecord,
    Resolver,
    _gc_paused,
    _Prepared,
    prepare_packed,
    unpack_chunk,
)

_OPTIONAL = ("name", "uscc", "reg_no", "org_code", "tax_no", "address", "legal_rep", "established")


class InputError(ValueError):
    """A line of records.jsonl cannot be used; names file, line and reason."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Raised in worker processes: must survive pickling back to the parent.
        return (InputError, (self.path, self.line, self.reason))


class ResolveSummary(BaseModel):
    records: int
    entities: int
    flags: dict[str, int]
    seconds: float


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def record_key(source: str, record_id: str) -> str:
    return f"{source}\x1f{record_id}"


def _parse_line(path: Path, lineno: int, line: str) -> MatchRecord | None:
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(path, lineno, f"not JSON: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise InputError(path, lineno, "a line must be a JSON object")
    source, record_id = obj.get("source"), obj.get("record_id")
    if source is None or record_id is None or str(record_id) == "":
        raise InputError(path, lineno, "fields 'source' and 'record_id' are required")
    values = {k: _text(obj.get(k)) for k in _OPTIONAL}
    former = obj.get("former_names") or ()
    if isinstance(former, str):
        former = tuple(n for n in former.replace(";", "；").split("；") if n.strip())
    return MatchRecord(
        key=record_key(str(source), str(record_id)),
        former_names=tuple(former),
        is_register=bool(obj.get("is_register", False)),
        department=str(source),
        **values,
    )


def _parse_lines_fast(lines: list[str]) -> list[MatchRecord] | None:
    """The same records as `_parse_line` line by line, decoded in one `json.loads` call (about twice as
    fast on large files); None when any line would need an error message or the slow path's care."""
    kept = [line for line in lines if line.strip()]
    try:
        objs = json.loads("[" + ",".join(kept) + "]")
    except (json.JSONDecodeError, RecursionError):
        return None
    if len(objs) != len(kept):  # a line holding two values ("{…}, {…}") is an error the slow path reports
        return None
    out: list[MatchRecord] = []
    append = out.append
    for obj in objs:
        if type(obj) is not dict:
            return None
        source, record_id = obj.get("source"), obj.get("record_id")
        if source is None or record_id is None or str(record_id) == "":
            return None
        get = obj.get
        values = [None if (v := get(k)) is None else ((v if type(v) is str else str(v)).strip() or None)
                  for k in _OPTIONAL]
        former = obj.get("former_names") or ()
        if isinstance(former, str):
            former = tuple(n for n in former.replace(";", "；").split("；") if n.strip())
        source = str(source)
        # Positional: MatchRecord's fields are key, name, former_names, then the rest of _OPTIONAL in order.
        append(MatchRecord(record_key(source, str(record_id)), values[0], tuple(former), *values[1:],
                           bool(obj.get("is_register", False)), source))
    return out


def read_records(path: Path) -> Iterator[MatchRecord]:
    """Parse records.jsonl; a malformed line raises InputError naming the line."""
    with path.open("r", encoding="utf-8-sig", newline="\n") as f:
        first = 1
        while True:
            # Batches of lines go through the one-call decoder; a batch with a bad line is re-read
            # line by line so the error names it.
            lines = f.readlines(4_000_000)
            if not lines:
                return
            fast = _parse_lines_fast(lines)
            if fast is not None:
                yield from fast
            else:
                for i, line in enumerate(lines):
                    rec = _parse_line(path, first + i, line)
                    if rec is not None:
                        yield rec
            first += len(lines)


def _chunk_records(args: tuple[str, int, int, int]) -> list[MatchRecord]:
    path, start, end, first_lineno = args
    with open(path, "rb") as f:
        f.seek(start)
        text = f.read(end - start).decode("utf-8")
    if start == 0:
        text = text.removeprefix("\ufeff")
    # split("\n"), not splitlines(): U+2028 and friends may sit inside JSON strings.
    lines = text.split("\n")
    records = _parse_lines_fast(lines)
    if records is None:  # something is off: the line-by-line parser names the line and the reason
        where = Path(path)
        records = [r for i, line in enumerate(lines) if (r := _parse_line(where, first_lineno + i, line)) is not None]
    return records


def _prepare_chunk(args: tuple[str, int, int, int]) -> bytes:
    """Worker: parse and prepare the lines in one byte range of the file (runs in a child process)."""
    with _gc_paused():
        # marshal, not pickle: the packed tuples hold only str/bool/None/int.
        # Version 2 (no object references): 4x faster to write than the default, a little larger.
        return marshal.dumps(prepare_packed(_chunk_records(args)), 2)


def _chunks(path: Path, parts: int) -> list[tuple[str, int, int, int]]:
    """Byte ranges cut at line ends, with the line number each starts at."""
    data = path.read_bytes()
    size = len(data)
    bounds = [0]
    for k in range(1, parts):
        cut = data.find(b"\n", max(bounds[-1], size * k // parts))
        if cut < 0:
            break
        bounds.append(cut + 1)
    bounds.append(size)
    out, line = [], 1
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b > a:
            out.append((str(path), a, b, line))
            line += data.count(b"\n", a, b)
    return out


def _fork_is_safe() -> bool:
    """A fork taken while another thread holds a lock (a server thread, a progress-bar refresher,
    Airflow's API loop) can leave the child blocked forever on it; with one thread it cannot."""
    return threading.active_count() == 1


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork when it is safe (fastest: the workers inherit the imported matcher), else forkserver."""
    if _fork_is_safe():
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["entity_resolution.jsonl"])
    return ctx


def _prepared_in_parallel(path: Path, workers: int, progress: Callable[[str, int], None] | None = None,
                          ) -> tuple[list[MatchRecord], list[_Prepared]]:
    # Chunks are cut before the pool forks, so the workers do not inherit the file's bytes.
    # (Preparing a share in the parent was tried and measured slower: a busy parent holds the GIL
    # its result-handler thread needs, so the workers block on full result pipes.)
    # Many small chunks: the parent unpacks each as it arrives, so what is left after the last worker
    # finishes is one small chunk's unpacking rather than an eighth of the file's.
    chunks = _chunks(path, workers * 16)
    name_cache: dict[tuple, Any] = {}
    prepared: list[_Prepared] = []
    with _gc_paused(), _pool_context().Pool(workers) as pool:
        for blob in pool.imap(_prepare_chunk, chunks):
            prepared.extend(unpack_chunk(marshal.loads(blob), name_cache))
            if progress:
                progress("reading", len(prepared))
    return [p.rec for p in prepared], prepared


PARALLEL_MIN_BYTES = 8_000_000
"""Below this input size (~30,000 records) worker start-up costs more than it saves."""


def resolve_file(
    input_path: Path,
    output_path: Path,
    config: MatcherConfig | None = None,
    progress: Callable[[str, int], None] | None = None,
    workers: int | None = None,
    isolate: bool | None = None,
) -> ResolveSummary:
    """Resolve records.jsonl into clusters.jsonl; returns counts.

    `workers`: processes that parse and prepare records (default: every CPU for large inputs).
    `isolate`: do the work in a forked child that exits without freeing its millions of objects
    one by one (seconds at 1M records); default: when this process can fork safely. Neither
    changes the result.
    """
    if isolate is None:
        isolate = _fork_is_safe()
    if isolate:
        return _resolve_in_child(input_path, output_path, config, progress, workers)
    return _resolve_here(input_path, output_path, config, progress, workers)


def _resolve_in_child(
    input_path: Path, output_path: Path, config: MatcherConfig | None,
    progress: Callable[[str, int], None] | None, workers: int | None,
) -> ResolveSummary:
    import pickle
    import traceback

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report progress and the outcome through the pipe, then leave at once
        status = 1
        try:  # whatever happens, this process must never return into its parent's code
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as pipe:
                def send(message: tuple[Any, ...]) -> None:
                    pickle.dump(message, pipe)
                    pipe.flush()

                try:
                    summary = _resolve_here(input_path, output_path, config,
                                            (lambda stage, n: send(("progress", stage, n))) if progress else None,
                                            workers)
                    send(("done", summary.model_dump()))
                    status = 0
                except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent
                    try:
                        send(("error", exc))
                    except Exception:  # an exception that does not pickle travels as its text
                        send(("error", RuntimeError("".join(traceback.format_exception(exc)))))
        finally:
            os._exit(status)
    os.close(write_fd)
    outcome: tuple[Any, ...] | None = None
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            while True:
                try:
                    message = pickle.load(pipe)
                except EOFError:
                    break
                if message[0] == "progress" and progress:
                    progress(message[1], message[2])
                elif message[0] in ("done", "error"):
                    outcome = message
    except BaseException:
        # Interrupted, or the progress callback failed: stop the child rather than wait for it.
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        _, status = os.waitpid(pid, 0)
    if outcome is None:
        raise RuntimeError(f"the resolution process ended without a result (wait status {status})")
    if outcome[0] == "error":
        raise outcome[1]
    return ResolveSummary.model_validate(outcome[1])


def _resolve_here(
    input_path: Path, output_path: Path, config: MatcherConfig | None,
    progress: Callable[[str, int], None] | None, workers: int | None,
) -> ResolveSummary:
    import time

    started = time.perf_counter()
    if workers is None:
        workers = (os.cpu_count() or 1) if input_path.stat().st_size >= PARALLEL_MIN_BYTES else 1
    prepared: list[_Prepared] | None = None
    if workers > 1:
        records, prepared = _prepared_in_parallel(input_path, workers, progress)
    else:
        with _gc_paused():
            records = list(read_records(input_path))
    if progress:
        progress("read", len(records))
    seen: set[str] = set()
    for i, r in enumerate(records):
        # A repeated (source, record_id) still gets its own output line; it resolves like any record.
        if r.key in seen:
            r.key = f"{r.key}\x1f#{i}"
        seen.add(r.key)
    resolver = Resolver(config)
    entity_ids = resolver.resolve_bulk(records, prepared,
                                       progress=(lambda n: progress("matching", n)) if progress else None)
    if progress:
        progress("resolved", len(records))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    # The C string encoder json.dumps uses for ensure_ascii=False, without the per-call dispatch.
    dumps = json.encoder.encode_basestring
    sources: dict[str, str] = {}  # few distinct sources: encode each once
    with output_path.open("w", encoding="utf-8") as out:
        buf: list[str] = []
        for r, eid in zip(records, entity_ids, strict=True):
            source, rid = r.key.split("\x1f", 2)[:2]
            src = sources.get(source)
            if src is None:
                src = sources[source] = dumps(source)
            buf.append(f'{{"source": {src}, "record_id": {dumps(rid)}, "entity_id": "{eid}"}}')
            if len(buf) >= 10000:
                out.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            out.write("\n".join(buf) + "\n")
    flags: dict[str, int] = {}
    for fl in resolver.flags:
        flags[fl.kind] = flags.get(fl.kind, 0) + 1
    return ResolveSummary(
        records=len(records),
        entities=len(resolver.entities),
        flags=flags,
        seconds=round(time.perf_counter() - started, 3),
    )
