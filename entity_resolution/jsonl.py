"""The standalone contract: records.jsonl in, clusters.jsonl out (no database, no server).

Input line:  {"source", "record_id", "name", "uscc", "reg_no", "org_code", "tax_no", "address",
              "legal_rep", "established"}   (optional extras: "former_names", "is_register")
Output line: {"source", "record_id", "entity_id"} — one per input line, in input order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel

from entity_resolution.matcher import MatcherConfig, MatchRecord, Resolver, _gc_paused

_OPTIONAL = ("name", "uscc", "reg_no", "org_code", "tax_no", "address", "legal_rep", "established")


class InputError(ValueError):
    """A line of records.jsonl cannot be used; names file, line and reason."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}")


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


def read_records(path: Path) -> Iterator[MatchRecord]:
    """Parse records.jsonl; a malformed line raises InputError naming the line."""
    with path.open("r", encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
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
            yield MatchRecord(
                key=record_key(str(source), str(record_id)),
                former_names=tuple(former),
                is_register=bool(obj.get("is_register", False)),
                department=str(source),
                **values,
            )


def resolve_file(
    input_path: Path,
    output_path: Path,
    config: MatcherConfig | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ResolveSummary:
    """Resolve records.jsonl into clusters.jsonl; returns counts."""
    import time

    started = time.perf_counter()
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
    entity_ids = resolver.resolve_bulk(records)
    if progress:
        progress("resolved", len(records))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8") as out:
        buf: list[str] = []
        for r, eid in zip(records, entity_ids, strict=True):
            source, rid = r.key.split("\x1f")[:2]
            buf.append(json.dumps({"source": source, "record_id": rid, "entity_id": eid}, ensure_ascii=False))
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
