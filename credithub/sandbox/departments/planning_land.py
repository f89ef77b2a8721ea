"""规划和自然资源局: land-use violations and idle land, GB18030 CSV, companies named only."""

from __future__ import annotations

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_csv

DEPT = "planning_land"
VIOLATION_COLUMNS = [
    "案件编号",
    "当事人名称",
    "违法地块位置",
    "违法面积（平方米）",
    "违法类型",
    "处理结果",
    "罚款金额（元）",
    "立案日期",
    "更新时间",
]
IDLE_COLUMNS = [
    "编号",
    "土地使用权人",
    "宗地编号",
    "宗地位置",
    "面积（平方米）",
    "闲置原因",
    "认定日期",
    "处置状态",
    "更新时间",
]
VIOLATION_TYPES = ("未经批准占用土地", "擅自改变土地用途", "违法建设", "非法转让土地")
IDLE_STATUS = ("已认定", "处置中", "已处置")


def write(ctx: GenContext) -> None:
    d = ctx.dept_dir(DEPT)
    violations, idle = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.025, "land", boost=8):
        opened = ctx.event_date(c)
        rid = f"深规自执〔{opened.year}〕{len(violations) + 1:04d}号"
        ctx.record(DEPT, "land_violations", rid, c)
        violations.append(
            {
                "案件编号": rid,
                "当事人名称": ctx.name(c, 0.35),
                "违法地块位置": f"{c.district}{ctx.rng.choice(('西部片区', '工业区', '城中村'))}",
                "违法面积（平方米）": round(ctx.rng.uniform(50, 8000), 1),
                "违法类型": ctx.rng.choice(VIOLATION_TYPES),
                "处理结果": "责令退还，没收违法建筑物并处罚款",
                "罚款金额（元）": ctx.money(5_000, 2_000_000),
                "立案日期": ctx.date_text(opened),
                "更新时间": ctx.updated_at(opened),
            }
        )
    for c in ctx.sample(0.015, "land", boost=12):
        found = ctx.event_date(c)
        rid = f"XZTD{len(idle) + 1:05d}"
        ctx.record(DEPT, "idle_land", rid, c)
        idle.append(
            {
                "编号": rid,
                "土地使用权人": ctx.name(c, 0.35),
                "宗地编号": f"A{ctx.rng.randint(100, 999)}-{ctx.rng.randint(1, 999):04d}",
                "宗地位置": c.district,
                "面积（平方米）": round(ctx.rng.uniform(1000, 60000), 1),
                "闲置原因": ctx.rng.choice(("企业原因", "政府原因", "规划调整")),
                "认定日期": ctx.date_text(found),
                "处置状态": ctx.vocab(ctx.rng.choice(IDLE_STATUS), "待定"),
                "更新时间": ctx.updated_at(found),
            }
        )
    broken = {}
    if ctx.fault_rate > 0 and len(violations) > 2:
        # An export cut short: fewer columns than the header.
        broken = {1: "深规自执〔2025〕9999号,深圳市某某实业有限公司,宝安区\r\n".encode("gb18030")}
        ctx.record(DEPT, "land_violations", "深规自执〔2025〕9999号", None)
    write_csv(d / "land_violations.csv", VIOLATION_COLUMNS, violations, encoding="gb18030", broken=broken)
    write_csv(d / "idle_land.csv", IDLE_COLUMNS, idle, encoding="gb18030")
    ctx.add_file(DEPT, d / "land_violations.csv")
    ctx.add_file(DEPT, d / "idle_land.csv")
