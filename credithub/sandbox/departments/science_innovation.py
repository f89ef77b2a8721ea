"""科技创新委员会: high-tech enterprise certificates with validity dates (UTF-8 CSV)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_csv

DEPT = "science_innovation"
COLUMNS = ["证书编号", "企业名称", "统一社会信用代码", "发证日期", "有效期至", "认定批次", "更新时间"]


def write(ctx: GenContext) -> None:
    rows = ctx.spool()
    for c in ctx.sample(0.04, "science", boost=6):
        if c.status in {"吊销", "注销"}:
            continue
        year = ctx.rng.choice((2022, 2023, 2024, 2025))
        issued = ctx.date_between(dt.date(year, 11, 1), dt.date(year, 12, 31))
        rid = f"GR{year}4420{ctx.rng.randrange(10**4):04d}{len(rows) + 1:02d}"
        ctx.record(DEPT, "high_tech_certificates", rid, c)
        rows.append(
            {
                "证书编号": rid,
                "企业名称": ctx.name(c),
                "统一社会信用代码": ctx.ident(c.uscc),
                "发证日期": ctx.date_text(issued),
                "有效期至": (issued + dt.timedelta(days=3 * 365)).isoformat(),
                "认定批次": f"{year}年第{ctx.rng.choice(('一', '二'))}批",
                "更新时间": ctx.updated_at(issued),
            }
        )
    path = ctx.dept_dir(DEPT) / "high_tech_certificates.csv"
    write_csv(path, COLUMNS, rows, encoding="utf-8")
    ctx.add_file(DEPT, path)
