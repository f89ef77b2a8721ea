"""CreditHub's custom great-expectations types (GX 1.x ColumnMapExpectation subclasses).

Importing this module registers them, so suites written as JSON load by type name, e.g.
{"type": "expect_column_values_to_be_valid_uscc", "kwargs": {"column": "uscc"}}.
Map expectations skip nulls: pair every one of them with expect_column_values_to_not_be_null
where the field is required.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any
from zoneinfo import ZoneInfo

logging.getLogger("great_expectations").setLevel(logging.WARNING)
os.environ["GX_ANALYTICS_ENABLED"] = "False"


import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.execution_engine import PandasExecutionEngine  # noqa: E402
from great_expectations.expectations.expectation import (  # noqa: E402
    ColumnMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics import (  # noqa: E402
    ColumnMapMetricProvider,
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider import MulticolumnMapMetricProvider  # noqa: E402
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (  # noqa: E402
    multicolumn_condition_partial,
)

from credithub.validation import identifier_checks as idc  # noqa: E402
from credithub.validation.textmatrix import code_matrix, is_digit, length_is  # noqa: E402

# "Not in the future" is judged on the city's calendar day, not UTC.
CITY_TZ = ZoneInfo("Asia/Shanghai")


def city_today() -> dt.date:
    return dt.datetime.now(CITY_TZ).date()


# --- identifiers -------------------------------------------------------------------------


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return idc.uscc_valid(column)


class ColumnValuesValidOrgCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_org_code"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return idc.org_code_valid(column)


class ColumnValuesValidRegNo(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_reg_no"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return idc.reg_no_valid(column)


class ColumnValuesValidTaxNo(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_tax_no"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return idc.tax_no_valid(column)


class ColumnValuesValidEnterpriseId(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_enterprise_id"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return idc.enterprise_id_valid(column)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Unified social credit code (GB 32100-2015): 18 characters, check character 18."""

    map_metric = "column_values.valid_uscc"
    success_keys = ("mostly",)


class ExpectColumnValuesToBeValidOrgCode(ColumnMapExpectation):
    """Organization code (GB 11714-1997): 8 body characters + check, often written XXXXXXXX-X."""

    map_metric = "column_values.valid_org_code"
    success_keys = ("mostly",)


class ExpectColumnValuesToBeValidRegNo(ColumnMapExpectation):
    """Legacy 15-digit business registration number, ISO 7064 MOD 11,10 check digit."""

    map_metric = "column_values.valid_reg_no"
    success_keys = ("mostly",)


class ExpectColumnValuesToBeValidTaxNo(ColumnMapExpectation):
    """Legacy 15-character tax registration number: 6-digit region + organization code."""

    map_metric = "column_values.valid_tax_no"
    success_keys = ("mostly",)


class ExpectColumnValuesToBeValidEnterpriseId(ColumnMapExpectation):
    """Any of USCC, tax registration number, registration number or organization code."""

    map_metric = "column_values.valid_enterprise_id"
    success_keys = ("mostly",)


# --- dates and numbers -------------------------------------------------------------------

_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"


def iso_dates(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(calendar date as 'YYYY-MM-DD' string or NaN, well-formed mask) for ISO date/datetime text."""
    text = column.astype(object).where(column.notna(), None).map(
        lambda v: v if v is None or isinstance(v, str) else str(v)
    ).str.strip()
    shaped = text.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
    day = text.str.slice(0, 10).where(shaped)
    # Shape alone accepts 2026-02-30; parsing the day settles it (vectorised, NaT when impossible).
    parsed = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
    ok = shaped & parsed.notna()
    return day.where(ok), ok


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _fast_iso_day(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(yyyymmdd int, judged mask) for 'YYYY-MM-DD' and 'YYYY-MM-DD[T ]HH:MM:SS' in numpy.

    Rows outside these two spellings are not judged here (mask False); iso_dates() takes them.
    """
    m = code_matrix(column, 19)
    d = m.astype(np.int64) - 48
    digits = is_digit(m)
    date_ok = digits[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1) & (m[:, 4] == 45) & (m[:, 7] == 45)
    short = length_is(m, 10)
    long = (length_is(m, 19) & ((m[:, 10] == ord("T")) | (m[:, 10] == 32))
            & digits[:, [11, 12, 14, 15, 17, 18]].all(axis=1) & (m[:, 13] == 58) & (m[:, 16] == 58))
    judged = date_ok & (short | long)
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 5] * 10 + d[:, 6]
    day = d[:, 8] * 10 + d[:, 9]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    dim = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= dim)
    time_ok = ~long | (((d[:, 11] * 10 + d[:, 12]) < 24) & ((d[:, 14] * 10 + d[:, 15]) < 60)
                       & ((d[:, 17] * 10 + d[:, 18]) < 60))
    return np.where(judged & real & time_ok, year * 10000 + month * 100 + day, -1), judged


class ColumnValuesIsoDateNotInFuture(ColumnMapMetricProvider):
    condition_metric_name = "column_values.iso_date_not_in_future"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        today = city_today()
        limit = today.year * 10000 + today.month * 100 + today.day
        ymd, judged = _fast_iso_day(column)
        ok = pd.Series((ymd > 0) & (ymd <= limit), index=column.index)
        rest = column[~judged]
        if not rest.empty:
            day, shaped = iso_dates(rest)
            # ISO 'YYYY-MM-DD' strings order like the dates they spell.
            ok.loc[rest.index] = (shaped & (day.fillna("9999-99-99") <= today.isoformat())).to_numpy()
        return ok


class ExpectColumnValuesToBeIsoDateNotInFuture(ColumnMapExpectation):
    """An ISO date (YYYY-MM-DD, optionally with a time) that is a real day and not after today (Asia/Shanghai)."""

    map_metric = "column_values.iso_date_not_in_future"
    success_keys = ("mostly",)


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


def _plain_numbers(column: pd.Series) -> pd.Series:
    """Float value of plain decimal text (or a number), NaN for anything else ('1,000万', '1e5', 'inf')."""
    m = code_matrix(column, 24)
    digits = is_digit(m)
    dots = (m == 46).sum(axis=1)
    signs = (m == 43) | (m == 45)
    allowed = digits | (m == 46) | (m == 0)
    allowed[:, 0] |= signs[:, 0]
    fast = allowed.all(axis=1) & (dots <= 1) & digits.any(axis=1) & (m[:, 24] == 0)
    values = pd.Series(np.nan, index=column.index, dtype=float)
    if fast.any():
        values[fast] = pd.to_numeric(column[fast].astype(str), errors="coerce").to_numpy(dtype=float)
    rest = column[~fast]
    if not rest.empty:
        text = rest.astype(object).map(lambda v: v if isinstance(v, str) else str(v)).str.strip()
        shaped = text.str.fullmatch(_NUMBER).fillna(False).astype(bool)
        values[rest.index] = pd.to_numeric(text.where(shaped), errors="coerce").to_numpy(dtype=float)
    return values


class ColumnValuesNumberBetween(ColumnMapMetricProvider):
    condition_metric_name = "column_values.number_between"
    condition_value_keys = ("min_value", "max_value")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, min_value: float | None = None, max_value: float | None = None,
                **kwargs: Any) -> pd.Series:
        num = _plain_numbers(column)
        ok = num.notna()
        if min_value is not None:
            ok &= num >= min_value
        if max_value is not None:
            ok &= num <= max_value
        return ok.fillna(False).astype(bool)


class ExpectColumnValuesToBeNumberBetween(ColumnMapExpectation):
    """Text or number that parses as a plain decimal number within [min_value, max_value]."""

    map_metric = "column_values.number_between"
    success_keys = ("mostly", "min_value", "max_value")
    min_value: float | None = None
    max_value: float | None = None


# --- cross-field --------------------------------------------------------------------------


class MulticolumnAnyPresent(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.any_present"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")
    condition_value_keys = ()

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        # Whitespace-only text is turned into null by engine.build_frame before validation.
        present = pd.Series(False, index=column_list.index)
        for name in column_list.columns:
            col = column_list[name]
            present |= col.notna() & (col != "")
        return present


class ExpectMulticolumnValuesToHaveAtLeastOnePresent(MulticolumnMapExpectation):
    """At least one of the listed fields has a non-empty value (e.g. USCC or registration number).

    ignore_row_if must stay "never": GX's default skips exactly the rows this rule exists to catch.
    """

    map_metric = "multicolumn_values.any_present"
    success_keys = ("mostly", "ignore_row_if")
    ignore_row_if: str = "never"


CUSTOM_EXPECTATION_TYPES: tuple[str, ...] = (
    "expect_column_values_to_be_valid_uscc",
    "expect_column_values_to_be_valid_org_code",
    "expect_column_values_to_be_valid_reg_no",
    "expect_column_values_to_be_valid_tax_no",
    "expect_column_values_to_be_valid_enterprise_id",
    "expect_column_values_to_be_iso_date_not_in_future",
    "expect_column_values_to_be_number_between",
    "expect_multicolumn_values_to_have_at_least_one_present",
)
