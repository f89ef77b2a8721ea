"""食品药品监督管理局: food business licences and food-safety penalties (GBK CSV)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_csv

DEPT = "food_drug"
LICENCE_COLUMNS = [
    "许可证编号",
    "经营者名称",
    "社会信用代码",
    "法定代表人",
    "联系电话",
    "经营场所",
    "主体业态",
    "经营项目",
    "发证日期",
    "有效期至",
    "更新时间",
]
PENALTY_COLUMNS = [
    "行政处罚决定书文号",
    "当事人名称",
    "统一社会信用代码",
    "违法行为",
    "处罚内容",
    "罚款金额",
    "处罚日期",
    "更新时间",
]
FACTS = (
    "经营超过保质期的食品",
    "未按规定进行食品进货查验",
    "从业人员未取得健康证明",
    "餐饮具未经清洗消毒",
    "食品添加剂超范围使用",
)


def write(ctx: GenContext) -> None:
    d = ctx.dept_dir(DEPT)
    licences, penalties = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.03, "food", boost=15):
        issued = ctx.date_between(max(c.established, dt.date(2019, 1, 1)))
        rid = f"JY{ctx.rng.choice((1, 2, 3))}4403{ctx.rng.randint(4, 11):02d}{len(licences) + 1:07d}"
        ctx.record(DEPT, "food_licences", rid, c)
        licences.append(
            {
                "许可证编号": rid,
                "经营者名称": ctx.name(c),
                "社会信用代码": ctx.ident(c.uscc),
                "法定代表人": c.legal_rep,
                "联系电话": c.phone,
                "经营场所": c.address,
                "主体业态": ctx.rng.choice(("餐饮服务经营者", "食品销售经营者", "单位食堂")),
                "经营项目": "预包装食品销售（含冷藏冷冻食品）；热食类食品制售",
                "发证日期": ctx.date_text(issued),
                "有效期至": (issued + dt.timedelta(days=5 * 365)).isoformat(),
                "更新时间": ctx.updated_at(issued),
            }
        )
    for c in ctx.sample(0.02, "food", boost=10):
        decided = ctx.event_date(c)
        rid = f"深市监食罚〔{decided.year}〕{len(penalties) + 1:04d}号"
        ctx.penalty(c, rid, "深圳市市场监督管理局", decided)
        ctx.record(DEPT, "food_safety_penalties", rid, c)
        amount = ctx.money(5_000, 200_000, 1000)
        penalties.append(
            {
                "行政处罚决定书文号": rid,
                "当事人名称": ctx.name(c),
                "统一社会信用代码": ctx.ident(c.uscc),
                "违法行为": ctx.rng.choice(FACTS),
                "处罚内容": f"没收违法所得，罚款{amount:.0f}元",
                "罚款金额": amount,
                "处罚日期": ctx.date_text(decided),
                "更新时间": ctx.updated_at(decided),
            }
        )
    broken = {}
    if ctx.fault_rate > 0 and len(licences) > 2:
        c = ctx.rng.choice(ctx.companies)
        ctx.record(DEPT, "food_licences", "JY2440399BROKEN", c)
        broken = {
            1: b"JY2440399BROKEN,"
            + c.name.encode("gbk")[:6]
            + b"\x80\xff"
            + b",,,,,,,2025-01-01,2030-01-01,2025-01-02T10:00:00\r\n"
        }
    write_csv(d / "food_licences.csv", LICENCE_COLUMNS, licences, encoding="gbk", broken=broken)
    write_csv(d / "food_safety_penalties.csv", PENALTY_COLUMNS, penalties, encoding="gbk")
    ctx.add_file(DEPT, d / "food_licences.csv")
    ctx.add_file(DEPT, d / "food_safety_penalties.csv")
