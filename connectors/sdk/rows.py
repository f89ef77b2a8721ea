"""What every transport shares: turning fetched data into base.py messages.

`RowSpec` tells a transport which columns the stream expects and how to derive the
record id and cursor, so each transport only deals with its own format.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.sdk.base import SchemaDrift, SourceFault, SourceRow


def jsonable(value: Any) -> Any:
    """Values as they can land raw in a JSON column (dates ISO, decimals as text, bytes as hex)."""
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def raw_text(data: Any, limit: int = 4000) -> str:
    text = data if isinstance(data, str) else json.dumps(jsonable(data), ensure_ascii=False)
    return text[:limit]


@dataclass(frozen=True)
class RowSpec:
    """What a stream expects from its transport."""

    department: str
    stream: str
    columns: tuple[str, ...] = ()
    """Mapped source columns (a header without one of them is reported as drift)."""
    required: tuple[str, ...] = ()
    """Source columns without which a file/table/page cannot be read."""
    record_id_column: str | None = None
    cursor_column: str | None = None
    ignored: tuple[str, ...] = ()
    """Source columns known and deliberately not mapped (not reported as drift)."""
    record_id_fn: Callable[[Mapping[str, Any]], Any] | None = field(default=None, compare=False)

    def record_id(self, data: Mapping[str, Any]) -> str | None:
        value = self.record_id_fn(data) if self.record_id_fn else (
            data.get(self.record_id_column) if self.record_id_column else None
        )
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    def make_row(self, data: dict[str, Any], location: str) -> SourceRow | SourceFault:
        """A SourceRow, or a SourceFault when the record has no usable id."""
        rid = self.record_id(data)
        if rid is None:
            col = self.record_id_column or "record id"
            return SourceFault(
                stream=self.stream,
                location=location,
                reason=f"记录编号为空（列 {col}），无法识别该记录",
                raw=raw_text(data),
                field=self.record_id_column,
            )
        cursor = data.get(self.cursor_column) if self.cursor_column else None
        return SourceRow(
            stream=self.stream,
            record_id=rid,
            location=location,
            data=data,
            cursor_value=None if cursor is None else str(cursor),
        )

    def fault(self, location: str, reason: str, raw: str, field: str | None = None) -> SourceFault:
        return SourceFault(stream=self.stream, location=location, reason=reason, raw=raw, field=field)

    def header_drift(self, header: Iterable[str], location: str) -> tuple[SchemaDrift | None, list[str]]:
        """Compare a header with the expected columns: (drift message or None, missing required columns)."""
        present = list(header)
        present_set = set(present)
        expected = set(self.columns) | set(self.required) | set(self.ignored)
        added = [c for c in present if c not in expected]
        missing = [c for c in self.columns if c not in present_set]
        missing += [c for c in self.required if c not in present_set and c not in missing]
        missing_required = [c for c in self.required if c not in present_set]
        drift = SchemaDrift(stream=self.stream, location=location, added=added, missing=missing) if (added or missing) else None
        return drift, missing_required

    def missing_required_fault(self, location: str, missing: list[str], raw: str) -> SourceFault:
        cols = "、".join(missing)
        return self.fault(
            location,
            f"缺少必需列 {cols}（部门 {self.department}），该文件停止读取，其他文件继续；请部门重新导出或更新字段映射",
            raw,
            field=missing[0],
        )
