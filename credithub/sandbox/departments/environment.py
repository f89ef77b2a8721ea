"""生态环境局: environmental credit ratings and penalties, as XLSX workbooks."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_xlsx

DEPT = "environment"
RATING_COLUMNS = ["序号", "统一社会信用代码", "企业名称", "评价年度", "评价等级", "发布日期", "更新时间"]
PENALTY_COLUMNS = [
    "序号",
    "统一社会信用代码",
    "企业名称",
    "处罚文号",
    "违法类型",
    "罚款金额（万元）",
    "处罚日期",
    "更新时间",
]
LEVELS = ("绿色", "蓝色", "黄色", "红色", "黑色")
VIOLATIONS = ("超标排放水污染物", "未批先建", "未按规定运行污染防治设施", "危险废物贮存不规范", "噪声超标排放")


def write(ctx: GenContext) -> None:
    ratings, penalties = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.06, "factory", boost=5):
        year = ctx.rng.choice((2023, 2024, 2025))
        if year < c.established.year:
            continue
        rid = f"HJXY{year}{len(ratings) + 1:05d}"
        ctx.record(DEPT, "credit_ratings", rid, c)
        published = ctx.date_between(dt.date(year + 1, 3, 1))
        level = ctx.rng.choices(LEVELS, weights=(30, 45, 15, 8, 2))[0]
        ratings.append(
            {
                "序号": rid,
                "统一社会信用代码": ctx.ident(c.uscc),
                "企业名称": ctx.name(c),
                "评价年度": year,
                "评价等级": ctx.vocab(level, "橙色"),
                "发布日期": ctx.date_cell(published),
                "更新时间": ctx.updated_at(published),
            }
        )
    for c in ctx.sample(0.03, "factory", boost=4):
        decided = ctx.event_date(c)
        rid = f"深环罚〔{decided.year}〕{len(penalties) + 1:03d}号"
        ctx.penalty(c, rid, "深圳市生态环境局", decided)
        ctx.record(DEPT, "penalties", rid, c)
        penalties.append(
            {
                "序号": rid,
                "统一社会信用代码": ctx.ident(c.uscc),
                "企业名称": ctx.name(c),
                "处罚文号": rid,
                "违法类型": ctx.rng.choice(VIOLATIONS),
                "罚款金额（万元）": round(ctx.rng.uniform(1, 100), 1),
                "处罚日期": ctx.date_cell(decided),
                "更新时间": ctx.updated_at(decided),
            }
        )
    d = ctx.dept_dir(DEPT)
    write_xlsx(d / "credit_ratings.xlsx", "信用评价", RATING_COLUMNS, ratings)
    write_xlsx(d / "penalties.xlsx", "行政处罚", PENALTY_COLUMNS, penalties)
    ctx.add_file(DEPT, d / "credit_ratings.xlsx")
    ctx.add_file(DEPT, d / "penalties.xlsx")
