"""Validate a handful of staged rows (a steward's fix) against their dataset's suite, at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from credithub.settings import Settings
from credithub.validation.engine import SuiteOutcome, build_frame, run_suite
from credithub.validation.suites import load_suite, suite_columns


def validate_rows(settings: Settings, department: str, stream: str,
                  rows: Sequence[Mapping[str, Any]]) -> SuiteOutcome:
    """Row positions in the outcome follow `rows`. Batch uniqueness is not re-judged here
    (the other rows of the batch are not in the frame), only each row's own rules."""
    suite = load_suite(settings.expectations_dir, department, stream)
    columns = list(dict.fromkeys([*suite_columns(suite), *(k for r in rows for k in r)]))
    return run_suite(suite, build_frame(rows, columns))
