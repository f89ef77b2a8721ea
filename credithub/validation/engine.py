"""Run one suite over one DataFrame in ONE validate call and map failures back to rows.

Fast path (notes §1.1c, P2): the frame keeps its RangeIndex and results are requested with
`exclude_unexpected_values`, so GX returns failing *positions* without a per-row `.at` loop;
the failing value is read back from the frame here, vectorised.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from credithub.validation.gx import DOCS_SITE, import_gx, new_context
from credithub.validation.suites import suite_columns

FAST_RESULT_FORMAT: dict[str, Any] = {"result_format": "COMPLETE", "exclude_unexpected_values": True}
BATCH_LEVEL = "__batch__"


class ExpectationStat(BaseModel):
    expectation: str
    column: str | None = None
    success: bool
    unexpected_count: int = 0
    error: str | None = None


class SuiteOutcome(BaseModel):
    """Row-level result of one suite run. `row_failures` is keyed by frame position."""

    suite: str
    evaluated: int
    success: bool
    row_failures: dict[int, list[dict[str, Any]]] = Field(default_factory=dict)
    batch_failures: list[dict[str, Any]] = Field(default_factory=list)
    stats: list[ExpectationStat] = Field(default_factory=list)
    datadocs_path: str | None = None

    @property
    def failed_rows(self) -> int:
        return len(self.row_failures)


def build_frame(rows: Sequence[Mapping[str, Any]], columns: Iterable[str]) -> pd.DataFrame:
    """Object-dtype frame with every suite column; blank text counts as missing."""
    cols = list(dict.fromkeys(columns))
    frame = pd.DataFrame.from_records(list(rows), columns=cols) if rows else pd.DataFrame(columns=cols)
    frame = frame.astype(object)
    for col in cols:
        s = frame[col]
        try:
            # .str on an object column yields NaN for non-text values, which never equals "".
            blank = s.str.strip().eq("").fillna(False).astype(bool)
        except AttributeError:  # no text at all in this column (e.g. integer years from a JSON API)
            continue
        if blank.any():
            frame[col] = s.where(~blank, None)
    return frame.where(frame.notna(), None)


def _plain(value: Any) -> Any:
    """JSON-ready scalar (numpy ints/floats, NaN -> None)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


_GENERIC_REASONS = {
    "expect_column_values_to_not_be_null": "字段 {column} 为空",
    "expect_column_values_to_be_unique": "字段 {column} 在本批次中重复",
    "expect_column_values_to_be_in_set": "字段 {column} 的值不在允许取值内",
    "expect_column_values_to_match_regex": "字段 {column} 的格式不正确",
    "expect_column_value_lengths_to_be_between": "字段 {column} 的长度不在允许范围内",
    "expect_column_values_to_be_valid_uscc": "字段 {column} 不是有效的统一社会信用代码",
    "expect_column_values_to_be_valid_org_code": "字段 {column} 不是有效的组织机构代码",
    "expect_column_values_to_be_valid_reg_no": "字段 {column} 不是有效的注册号",
    "expect_column_values_to_be_valid_tax_no": "字段 {column} 不是有效的税务登记号",
    "expect_column_values_to_be_valid_enterprise_id": "字段 {column} 不是有效的企业代码",
    "expect_column_values_to_be_iso_date_not_in_future": "字段 {column} 不是有效日期或晚于今天",
    "expect_column_values_to_be_number_between": "字段 {column} 不是允许范围内的数字",
}


def reason_for(exp_type: str, column: str | None, meta: Mapping[str, Any] | None, value: Any) -> str:
    base = (meta or {}).get("reason_zh") or _GENERIC_REASONS.get(exp_type, "字段 {column} 未通过校验").format(
        column=column or "（整批）"
    )
    if isinstance(value, Mapping):
        shown = "，".join(f"{k}=" + ("空值" if v is None else f"「{v}」") for k, v in value.items())
    else:
        shown = "空值" if value is None else f"「{value}」"
    return f"{base}；当前值：{shown}（规则：{exp_type}）"


def _columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    if kwargs.get("column"):
        return [kwargs["column"]]
    cols = [kwargs[k] for k in ("column_A", "column_B") if kwargs.get(k)]
    return cols or list(kwargs.get("column_list") or [])


def _positions(result: Mapping[str, Any]) -> list[int] | None:
    idx = result.get("unexpected_index_list")
    if idx is None:
        return None
    out: list[int] = []
    for item in idx:
        if isinstance(item, Mapping):  # named-index form: {"col": [..]} or one dict per row
            for v in item.values():
                out.extend(int(x) for x in (v if isinstance(v, list) else [v]))
        else:
            out.append(int(item))
    return out


def collect(frame: pd.DataFrame, suite_name: str, results: Iterable[Any]) -> SuiteOutcome:
    """Turn GX ExpectationValidationResults into per-row failure lists."""
    outcome = SuiteOutcome(suite=suite_name, evaluated=len(frame), success=True)
    for r in results:
        cfg = r.expectation_config
        kwargs = dict(cfg.kwargs)
        cols = _columns_of(kwargs)
        column = kwargs.get("column") or (",".join(cols) if cols else None)
        info = r.exception_info or {}
        raised = bool(info.get("raised_exception")) if isinstance(info, Mapping) else False
        stat = ExpectationStat(expectation=cfg.type, column=column, success=bool(r.success))
        if raised:
            stat.success = False
            stat.error = str(info.get("exception_message"))
        outcome.stats.append(stat)
        if r.success and not raised:
            continue
        outcome.success = False
        positions = None if raised else _positions(r.result or {})
        if positions is None:
            # Table-level expectation or a crashed one: it concerns the batch, not a row.
            outcome.batch_failures.append({
                "expectation": cfg.type, "column": column, "value": None,
                "reason_zh": reason_for(cfg.type, column, cfg.meta, None)
                + (f"；执行出错：{stat.error}" if stat.error else ""),
            })
            continue
        stat.unexpected_count = len(positions)
        present = [c for c in cols if c in frame.columns]
        values = {c: frame[c].to_numpy() for c in present}
        for pos in positions:
            if len(present) == 1:
                value = _plain(values[present[0]][pos])
            else:
                value = {c: _plain(values[c][pos]) for c in present}
            outcome.row_failures.setdefault(pos, []).append({
                "expectation": cfg.type, "column": column, "value": value,
                "reason_zh": reason_for(cfg.type, column, cfg.meta, value),
            })
    return outcome


def run_suite(suite: Any, frame: pd.DataFrame, *, datadocs_dir: Path | None = None,
              run_name: str | None = None, context: Any = None) -> SuiteOutcome:
    """Validate `frame` against `suite` in one GX call; with `datadocs_dir`, through a
    Checkpoint whose UpdateDataDocsAction writes the run's Data Docs page there."""
    gx = import_gx()
    ctx = context or new_context(datadocs_dir)
    missing = [c for c in suite_columns(suite) if c not in frame.columns]
    for c in missing:
        frame[c] = None
    bd = (ctx.data_sources.add_pandas(name="staged")
          .add_dataframe_asset(name=suite.name.replace(".", "_"))
          .add_batch_definition_whole_dataframe("whole"))
    # A ValidationDefinition fetches the batch once; get_batch() + batch.validate() would fetch
    # (and hash the whole frame, notes pitfall 4) twice.
    suite = ctx.suites.add(gx.ExpectationSuite(**suite.to_json_dict()))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{suite.name}_vd", data=bd, suite=suite))
    if datadocs_dir is None:
        res = vd.run(batch_parameters={"dataframe": frame}, result_format=FAST_RESULT_FORMAT)
        return collect(frame, suite.name, res.results)

    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    cp = ctx.checkpoints.add(gx.Checkpoint(
        name=f"{suite.name}_cp", validation_definitions=[vd],
        actions=[UpdateDataDocsAction(name="datadocs", site_names=[DOCS_SITE])],
        result_format=FAST_RESULT_FORMAT))
    cp_result = cp.run(batch_parameters={"dataframe": frame},
                       run_id=RunIdentifier(run_name=run_name or suite.name))
    (ident, res), = cp_result.run_results.items()
    outcome = collect(frame, suite.name, res.results)
    urls = ctx.get_docs_sites_urls(resource_identifier=ident, site_name=DOCS_SITE)
    if urls and urls[0].get("site_url"):
        page = Path(urls[0]["site_url"].removeprefix("file://"))
        try:
            outcome.datadocs_path = page.relative_to(datadocs_dir).as_posix()
        except ValueError:
            outcome.datadocs_path = page.as_posix()
    return outcome
