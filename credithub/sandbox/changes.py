"""New versions of existing records: a given share of all records changes on one day.

An incremental benchmark needs a day on which, say, 1 % of the city's records change. Departments
that publish changes in place do so here: the SQL departments update rows with a newer change time
(market regulation, public security), the API departments serve the record with new content and a
newer `updatedAt`. File departments re-export whole files and are left alone, so every change lands
in a department that reads "changed since". The number of changes per stream is proportional to
the stream's size, so the mix of departments among the changes is the mix of the sandbox.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_api_records
from credithub.sandbox.population import _address
from credithub.sandbox.store import iter_api_records, sorted_rows

Row = dict[str, Any]
Change = Callable[[random.Random, Row], Row]


@dataclass(frozen=True)
class SqlStream:
    department: str
    stream: str
    db_file: str
    table: str
    stamp_column: str
    change: Change
    stamp_sep: str = "T"


@dataclass(frozen=True)
class ApiStream:
    department: str
    stream: str
    change: Change


def _move(rng: random.Random, r: Row) -> Row:
    return {"ZS": _address(rng, r["SSQX"]) if r.get("SSQX") else r.get("ZS")}


def _fine(key: str) -> Change:
    def change(rng: random.Random, r: Row) -> Row:
        try:
            amount = float(r.get(key) or 0)
        except ValueError:
            amount = 0.0
        # A corrected amount: reviews reduce fines more often than they raise them.
        return {key: f"{round(amount * rng.choice((0.5, 0.8, 1.2)), 1):g}"}

    return change


def _delist(rng: random.Random, r: Row) -> Row:
    if r.get("YCRQ"):
        return {"LRYY": "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告"}
    return {"YCYY": "已补报未报年份的年度报告并公示", "YCRQ": "__today__"}


def _recheck(rng: random.Random, r: Row) -> Row:
    return {"jcjg": "合格", "wtms": ""}


def _set(field: str, *values: Any) -> Change:
    def change(rng: random.Random, r: Row) -> Row:
        others = [v for v in values if v != r.get(field)] or list(values)
        return {field: rng.choice(others)}

    return change


SQL_STREAMS: tuple[SqlStream, ...] = (
    SqlStream("market_regulation", "register", "scjg.db", "qy_djxx", "GXSJ", _move),
    SqlStream("market_regulation", "abnormal_operations", "scjg.db", "jyyc_ml", "GXSJ", _delist),
    SqlStream("market_regulation", "penalties", "scjg.db", "xzcf_xx", "GXSJ", _fine("FKJE")),
    SqlStream("public_security", "fire_inspections", "xfjd.db", "t_xf_jcjl", "gxsj", _recheck, " "),
    SqlStream("public_security", "fire_penalties", "xfjd.db", "t_xf_xzcf", "gxsj", _fine("fkje"), " "),
)
API_STREAMS: tuple[ApiStream, ...] = (
    ApiStream("tax", "tax_ratings", _set("rating", "A", "B", "M", "C", "D")),
    ApiStream("tax", "arrears", _set("currentArrears", 0.0)),
    ApiStream("tax", "violations", _set("penalty", "追缴税款，加收滞纳金，并处罚款")),
    ApiStream("housing_construction", "qualifications", _set("qualificationName", "建筑工程施工总承包壹级")),
    ApiStream("housing_construction", "bad_conduct", _set("deductPoints", 2, 4, 6, 10)),
    ApiStream("transport", "ratings", _set("grade", "AAA", "AA", "A", "B")),
    ApiStream("housing_provident_fund", "arrears", _set("status", "未缴清", "已缴清")),
    ApiStream("development_reform", "credit_commitments", _set("fulfilment", "履约", "履约中", "未履约")),
    ApiStream("development_reform", "red_list", _set("issuer", "深圳市社会信用体系建设统筹小组办公室")),
    ApiStream("development_reform", "credit_repair", _set("result", "准予修复", "不予修复")),
)


class ChangeReport(BaseModel):
    share: float = Field(description="Share of all records asked to change.")
    records: int = Field(description="Records in the sandbox before the changes.")
    changed: dict[str, dict[str, int]] = Field(description="department -> stream -> records changed")

    @property
    def total(self) -> int:
        return sum(sum(s.values()) for s in self.changed.values())


def _allocate(share: float, total: int, sizes: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """share × total changes over the streams in proportion to their sizes (largest remainder)."""
    want = min(round(share * total), sum(sizes.values()))
    pool = sum(sizes.values())
    if not pool or not want:
        return {k: 0 for k in sizes}
    exact = {k: want * n / pool for k, n in sizes.items()}
    out = {k: min(int(v), sizes[k]) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True):
        if sum(out.values()) >= want:
            break
        if out[k] < sizes[k]:
            out[k] += 1
    return out


def change_records(ctx: GenContext, share: float) -> ChangeReport:
    """Give `share` of all records in the sandbox a new version dated `ctx.today` (changed in place)."""
    counts = ctx.counts
    total = sum(sum(s.values()) for s in counts.values())
    sizes = {
        (s.department, s.stream): counts.get(s.department, {}).get(s.stream, 0) for s in (*SQL_STREAMS, *API_STREAMS)
    }
    plan = _allocate(share, total, sizes)
    changed: dict[str, dict[str, int]] = {}
    for sql in SQL_STREAMS:
        k = plan[(sql.department, sql.stream)]
        if k:
            changed.setdefault(sql.department, {})[sql.stream] = _change_sql(ctx, sql, k)
    for api in API_STREAMS:
        k = plan[(api.department, api.stream)]
        if k:
            changed.setdefault(api.department, {})[api.stream] = _change_api(ctx, api, k)
    return ChangeReport(share=share, records=total, changed=changed)


def _change_sql(ctx: GenContext, spec: SqlStream, k: int) -> int:
    conn = sqlite3.connect(ctx.out_dir / spec.department / spec.db_file)
    conn.row_factory = sqlite3.Row
    try:
        # Generated tables are only ever appended to: their rowids run 1..n without gaps.
        n = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {spec.table}").fetchone()[0]
        picked = sorted(ctx.rng.sample(range(1, n + 1), k=min(k, n)))
        for rowid in picked:
            row = dict(conn.execute(f"SELECT * FROM {spec.table} WHERE rowid = ?", (rowid,)).fetchone())
            update = {c: (ctx.today.isoformat() if v == "__today__" else v) for c, v in spec.change(ctx.rng, row).items()}
            update[spec.stamp_column] = ctx.stamp().replace("T", spec.stamp_sep)
            sets = ", ".join(f"{c} = ?" for c in update)
            conn.execute(f"UPDATE {spec.table} SET {sets} WHERE rowid = ?", (*update.values(), rowid))
        conn.commit()
    finally:
        conn.close()
    return len(picked)


def _change_api(ctx: GenContext, spec: ApiStream, k: int) -> int:
    path = ctx.dept_dir(spec.department) / "api" / f"{spec.stream}.json"
    n = sum(1 for _ in iter_api_records(path))
    picked = set(ctx.rng.sample(range(n), k=min(k, n)))
    # Decided before the file is rewritten, in file order, so the same seed and day give the same file.
    updates: dict[int, Row] = {}
    for i, row in enumerate(iter_api_records(path)):
        if i in picked:
            updates[i] = {**spec.change(ctx.rng, row), "updatedAt": ctx.stamp()}
    rows = ({**r, **updates[i]} if i in updates else r for i, r in enumerate(iter_api_records(path)))
    write_api_records(path, sorted_rows(rows, key=lambda r: (str(r["updatedAt"]), str(r["id"]))))
    return len(updates)
