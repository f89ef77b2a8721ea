"""Bounded numeric parameters shared by the routers and the console's hand-parsed forms.

Anything a database or `timedelta` cannot hold must be refused with 422 at the edge; before,
ids >= 2^63 overflowed SQLite/BIGINT and 1e308 hours overflowed a timedelta, both as 500s.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ValidationError

from credithub.errors import ValidationFailedError
from credithub.stewardship.models import DB_ID_MAX

M = TypeVar("M", bound=BaseModel)

IdPath = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="Numeric id (1 to 2^63-1).", examples=[1])]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=DB_ID_MAX, description="Numeric id (1 to 2^63-1).")]


def form_int(value: str | None, field: str = "") -> int | None:
    """An optional integer typed into a console form or URL; anything else is a 422, not a 500."""
    text = (value or "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit() or abs(int(text)) > DB_ID_MAX:
        raise ValidationFailedError(f"{field or '数值'}必须是不超过 2^63-1 的整数 / must be an integer within 64 bits",
                                    field=field or None)
    return int(text)


def form_float(value: str | None, field: str = "") -> float | None:
    """An optional finite number typed into a console form or URL (inf and nan refused)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValidationFailedError(f"{field or '数值'}必须是有限的数字 / must be a finite number", field=field or None)
    return number


def checked(model: type[M], **values: Any) -> M:
    """Build a filter model from hand-parsed values; out-of-range values become a typed 422."""
    try:
        return model(**values)
    except ValidationError as exc:
        failures = [{"column": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        raise ValidationFailedError("参数超出范围 / parameter out of range", failures=failures) from exc
