"""Helpers the department connectors share when mapping staged rows to canonical records.

Staged values arrive as the source wrote them (text, numbers, '' for empty cells);
validation has passed the row, but optional fields may still be empty.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from credithub.domain import CanonicalRecord, CreditEvent

_DATE = re.compile(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})")


def text(value: Any) -> str | None:
    """Stripped text, or None for missing/blank values."""
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def parse_date(value: Any) -> dt.date | None:
    s = text(value)
    if s is None:
        return None
    m = _DATE.match(s)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    s = text(value)
    if s is None:
        return None
    try:
        return float(s.replace(",", "").replace("，", ""))
    except ValueError:
        return None


def parse_int(value: Any) -> int | None:
    f = parse_float(value)
    return None if f is None else int(f)


def compact_id(value: Any) -> str:
    """An identifier without width, case or separator differences (only to decide its kind)."""
    s = unicodedata.normalize("NFKC", text(value) or "")
    return re.sub(r"[\s\-_.]", "", s).upper()


def split_enterprise_id(value: Any, fifteen: str = "tax_no") -> dict[str, str]:
    """Which identifier field a mixed id column holds, by its length (value kept as written).

    A 15-character value is the department's legacy number: `fifteen` says which one it files.
    """
    raw = text(value)
    if raw is None:
        return {}
    n = len(compact_id(raw))
    if n == 15:
        return {fifteen: raw}
    if n in (9, 10):
        return {"org_code": raw}
    return {"uscc": raw}


def event_date(*candidates: Any, fallback: dt.date | None = None) -> dt.date:
    """The first parseable date; a validated row always has one, the fallback keeps mapping total."""
    for c in candidates:
        d = parse_date(c)
        if d is not None:
            return d
    return fallback or dt.date(1970, 1, 1)


def canonical(
    department: str,
    dataset: str,
    staged: Mapping[str, Any],
    *,
    name_field: str = "name",
    events: list[CreditEvent] | None = None,
    **fields: Any,
) -> CanonicalRecord:
    """A CanonicalRecord with the record id and name taken from the staged row."""
    clean = {k: (text(v) if isinstance(v, str) else v) for k, v in fields.items()}
    return CanonicalRecord(
        department=department,
        dataset=dataset,
        source_record_id=str(staged["record_id"]),
        name=text(staged.get(name_field)),
        events=events or [],
        **clean,
    )


def attrs(**values: Any) -> dict[str, Any]:
    """Event attributes without empty values."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


def event(
    event_type: str,
    date: dt.date,
    title: str,
    severity: str = "neutral",
    *,
    end_date: dt.date | None = None,
    private: tuple[str, ...] = (),
    **attributes: Any,
) -> CreditEvent:
    """A credit event; `private` names attribute keys a public view must never show."""
    a = attrs(**attributes)
    return CreditEvent(
        event_type=event_type,
        date=date,
        end_date=end_date,
        title=title,
        severity=severity,  # type: ignore[arg-type]
        attributes=a,
        private_fields=[k for k in private if k in a],
    )
