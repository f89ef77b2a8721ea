"""统计局: serious statistical dishonesty and enterprise size classes (XLSX)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_xlsx

DEPT = "statistics"
DISHONEST_COLUMNS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "失信行为",
    "认定日期",
    "认定机关",
    "公示截止日期",
    "更新时间",
]
SIZE_COLUMNS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "组织机构代码",
    "统计年度",
    "企业规模",
    "从业人员",
    "营业收入（万元）",
    "更新时间",
]
SIZES = ("大型", "中型", "小型", "微型")


def write(ctx: GenContext) -> None:
    dishonest, sizes = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.01):
        found = ctx.event_date(c, dt.date(2022, 1, 1))
        rid = f"TJSX{len(dishonest) + 1:05d}"
        ctx.record(DEPT, "statistical_dishonesty", rid, c)
        dishonest.append(
            {
                "序号": rid,
                "企业名称": ctx.name(c),
                "统一社会信用代码": ctx.ident(c.uscc),
                "失信行为": ctx.rng.choice(("提供不真实统计资料", "拒绝提供统计资料", "迟报统计资料且情节严重")),
                "认定日期": ctx.date_cell(found),
                "认定机关": "深圳市统计局",
                "公示截止日期": (found + dt.timedelta(days=365)).isoformat(),
                "更新时间": ctx.updated_at(found),
            }
        )
    for c in ctx.sample(0.15):
        if c.status in {"注销", "吊销"} or c.established.year > 2024:
            continue
        rid = f"QYGM2025{len(sizes) + 1:06d}"
        ctx.record(DEPT, "enterprise_size", rid, c)
        size = ctx.rng.choices(SIZES, weights=(3, 12, 40, 45))[0]
        staff = {"大型": 1200, "中型": 400, "小型": 60, "微型": 8}[size]
        by_org = c.reg_no is not None and ctx.rng.random() < 0.4
        sizes.append(
            {
                "序号": rid,
                "企业名称": ctx.name(c),
                "统一社会信用代码": None if by_org else ctx.ident(c.uscc),
                "组织机构代码": ctx.ident(c.org_code_dashed) if by_org else None,
                "统计年度": 2025,
                "企业规模": ctx.vocab(size, "特大型"),
                "从业人员": int(staff * ctx.rng.uniform(0.6, 1.8)),
                "营业收入（万元）": round(staff * ctx.rng.uniform(20, 80), 1),
                "更新时间": ctx.updated_at(dt.date(2026, 3, 1)),
            }
        )
    d = ctx.dept_dir(DEPT)
    write_xlsx(d / "statistical_dishonesty.xlsx", "严重失信", DISHONEST_COLUMNS, dishonest)
    write_xlsx(d / "enterprise_size.xlsx", "企业规模", SIZE_COLUMNS, sizes)
    ctx.add_file(DEPT, d / "statistical_dishonesty.xlsx")
    ctx.add_file(DEPT, d / "enterprise_size.xlsx")
