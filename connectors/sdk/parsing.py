"""Small parsers departments use in `to_canonical` (dates, Chinese amounts, identifiers).

They return None for empty input and raise ValueError with a Chinese reason for bad input,
so a validation failure can quote it. Identifier *validation* (check digits) belongs to
entity resolution; here identifiers are only cleaned.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)

_UNITS = {"亿": 10000.0, "万": 1.0, "千": 0.1, "元": 0.0001}


def clean_text(value: Any) -> str | None:
    """NFKC (full-width → half-width), trimmed; empty → None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


def parse_date(value: Any) -> dt.date | None:
    """2026-01-02, 2026/1/2, 2026.1.2, 2026年1月2日, 20260102, ISO datetimes, date objects."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    if text is None:
        return None
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError as exc:
                raise ValueError(f"日期不存在：{value!r}") from exc
    raise ValueError(f"无法识别的日期格式：{value!r}")


def parse_datetime(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    text = clean_text(value)
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        d = parse_date(text)
        return dt.datetime(d.year, d.month, d.day) if d else None


def parse_amount_wan(value: Any, default_unit: str = "万") -> float | None:
    """An amount in 万元 (10,000 CNY): "1,000万" → 1000.0, "2.5亿元" → 25000.0, "500000元" → 50.0.

    Plain numbers are read in `default_unit` (registers publish capital in 万元).
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value) * _UNITS[default_unit]
    text = clean_text(value)
    if text is None:
        return None
    text = text.replace(",", "").replace("，", "").replace(" ", "")
    text = re.sub(r"(人民币|RMB|CNY)", "", text, flags=re.IGNORECASE)
    m = re.fullmatch(r"([-+]?\d+(?:\.\d+)?)(亿|万|千)?(元)?", text)
    if not m:
        raise ValueError(f"无法识别的金额：{value!r}")
    number = float(m.group(1))
    unit = m.group(2) or ("元" if m.group(3) else default_unit)
    return number * _UNITS[unit]


def parse_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = clean_text(value)
    if text is None:
        return None
    text = text.replace(",", "")
    try:
        f = float(text)
    except ValueError as exc:
        raise ValueError(f"不是整数：{value!r}") from exc
    if not f.is_integer():
        raise ValueError(f"不是整数：{value!r}")
    return int(f)


def clean_identifier(value: Any) -> str | None:
    """Upper-case, half-width, without spaces; hyphens kept (org codes are written XXXXXXXX-X)."""
    text = clean_text(value)
    if text is None:
        return None
    text = re.sub(r"\s+", "", text).upper()
    return text or None


def split_names(value: Any, separators: str = "；;、") -> list[str]:
    """'甲公司；乙公司' → ['甲公司', '乙公司']."""
    text = clean_text(value)
    if text is None:
        return []
    parts = re.split(f"[{re.escape(separators)}]", text)
    return [p.strip() for p in parts if p.strip()]
