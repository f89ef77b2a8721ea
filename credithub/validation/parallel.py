"""Validate a large frame on several cores: partition rows by a hash of the record key.

Rows with the same key land in the same partition, so "record ids unique within the batch"
is still judged exactly; every other expectation CreditHub suites use is row-local (column
map, column-pair map, multicolumn map). A suite with any other kind of expectation (table
row counts, column means, uniqueness of a non-key column) is validated in one process.

Workers are forked after the frame is in memory, so nothing is pickled on the way in; only
the failures come back. Fork is used deliberately: the validate stage runs in its own
process (CLI, Airflow task); the steward API validates a handful of rows and never gets here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from typing import Any

import numpy as np
import pandas as pd

from credithub.validation.engine import ExpectationStat, SuiteOutcome, run_suite

ROW_LOCAL_SUFFIXES = ("ColumnMapExpectation", "ColumnPairMapExpectation", "MulticolumnMapExpectation")

_JOB: dict[str, Any] = {}


def partition_safe(suite: Any, key: str) -> bool:
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    for exp in suite.expectations:
        if exp.expectation_type == "expect_column_values_to_be_unique":
            if exp.configuration.kwargs.get("column") != key:
                return False
            continue
        if exp.expectation_type == "expect_multicolumn_values_to_be_unique" or \
                exp.expectation_type == "expect_compound_columns_to_be_unique":
            return False
        if not isinstance(exp, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)):
            return False
    return True


def _work(part: int) -> tuple[np.ndarray, SuiteOutcome]:
    frame: pd.DataFrame = _JOB["frame"]
    positions = np.flatnonzero(_JOB["parts"] == part)
    sub = frame.iloc[positions].reset_index(drop=True)
    return positions, run_suite(_JOB["suite"], sub)


def merge_outcomes(suite_name: str, evaluated: int, pieces: list[tuple[np.ndarray, SuiteOutcome]]) -> SuiteOutcome:
    """One outcome from pieces; each piece's local row positions map through its array."""
    out = SuiteOutcome(suite=suite_name, evaluated=evaluated, success=all(p.success for _, p in pieces))
    stats: dict[tuple[str, str | None], ExpectationStat] = {}
    for positions, piece in pieces:
        for local, failures in piece.row_failures.items():
            out.row_failures[int(positions[local])] = failures
        for f in piece.batch_failures:
            if f not in out.batch_failures:
                out.batch_failures.append(f)
        for st in piece.stats:
            k = (st.expectation, st.column)
            if k not in stats:
                stats[k] = st.model_copy()
            else:
                stats[k].unexpected_count += st.unexpected_count
                stats[k].success = stats[k].success and st.success
                stats[k].error = stats[k].error or st.error
    out.stats = list(stats.values())
    out.row_failures = dict(sorted(out.row_failures.items()))
    return out


def run_suite_parallel(suite: Any, frame: pd.DataFrame, *, key: str, workers: int | None = None,
                       min_rows: int = 200_000) -> SuiteOutcome:
    """run_suite over `workers` hash partitions of `frame` (by `key`) when worthwhile and safe."""
    workers = workers if workers is not None else len(os.sched_getaffinity(0))
    if workers < 2 or len(frame) < min_rows or key not in frame.columns or not partition_safe(suite, key) \
            or "fork" not in mp.get_all_start_methods() or threading.active_count() > 1:
        # A fork taken while another thread holds a lock can hang the child forever; with other
        # threads alive (a server, Airflow's in-process API loop) validate in this process instead.
        return run_suite(suite, frame)
    keys = frame[key].to_numpy(dtype=object)
    hashes = pd.util.hash_array(np.where(pd.isna(keys), "", keys).astype(object), categorize=False)
    _JOB.update(frame=frame, suite=suite, parts=(hashes % np.uint64(workers)).astype(np.int64))
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            pieces = pool.map(_work, range(workers))
    finally:
        _JOB.clear()
    return merge_outcomes(suite.name, len(frame), pieces)
