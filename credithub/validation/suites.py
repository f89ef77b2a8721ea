"""Suites live as GX 1.x JSON at expectations/<department>.<stream>.json (git-friendly)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from credithub.errors import ConfigError
from credithub.validation.gx import import_gx


def suite_path(expectations_dir: Path, department: str, stream: str) -> Path:
    return expectations_dir / f"{department}.{stream}.json"


def read_suite_json(expectations_dir: Path, department: str, stream: str) -> dict[str, Any]:
    path = suite_path(expectations_dir, department, stream)
    if not path.exists():
        raise ConfigError("no validation suite for this dataset", department=department, stream=stream,
                          file=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"suite is not valid JSON: {exc}", department=department, file=str(path)) from exc


def load_suite(expectations_dir: Path, department: str, stream: str) -> Any:
    """The dataset's gx.ExpectationSuite (custom expectation types registered)."""
    gx = import_gx()
    raw = read_suite_json(expectations_dir, department, stream)
    try:
        return gx.ExpectationSuite(**raw)
    except Exception as exc:  # noqa: BLE001 - GX raises several types for a bad suite; all mean "fix the file"
        raise ConfigError(f"invalid suite: {exc}", department=department, stream=stream,
                          file=str(suite_path(expectations_dir, department, stream))) from exc


def suite_to_json(suite: Any) -> str:
    return json.dumps(suite.to_json_dict(), ensure_ascii=False, indent=2)


def suite_columns(suite: Any) -> list[str]:
    """Every column any expectation of the suite reads (so the DataFrame has them all)."""
    cols: list[str] = []
    for exp in suite.expectations:
        kw = exp.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if kw.get(key):
                cols.append(kw[key])
        cols.extend(kw.get("column_list") or [])
    return list(dict.fromkeys(cols))
