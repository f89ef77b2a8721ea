"""人力资源和社会保障局: social insurance arrears, wage-arrears blacklist, labour penalties (UTF-8 CSV with BOM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_csv

DEPT = "social_security"
ARREARS_COLUMNS = [
    "编号",
    "统一社会信用代码",
    "单位名称",
    "欠缴险种",
    "欠缴金额",
    "欠缴起始月份",
    "公告日期",
    "更新时间",
]
BLACKLIST_COLUMNS = [
    "编号",
    "统一社会信用代码",
    "单位名称",
    "法定代表人",
    "法定代表人身份证号",
    "拖欠人数",
    "拖欠金额",
    "列入日期",
    "移出日期",
    "更新时间",
]
PENALTY_COLUMNS = [
    "编号",
    "统一社会信用代码",
    "单位名称",
    "处罚决定书文号",
    "违法事实",
    "处罚结果",
    "罚款金额",
    "处罚日期",
    "更新时间",
    "备注",  # added by the bureau without notice: schema drift the connector reports and ignores
]
INSURANCE = ("基本养老保险", "失业保险", "工伤保险", "基本医疗保险")
LABOUR_FACTS = ("未依法为劳动者缴纳社会保险费", "违法延长劳动者工作时间", "未按规定签订书面劳动合同", "克扣劳动者工资")


def write(ctx: GenContext) -> None:
    d = ctx.dept_dir(DEPT)
    arrears = ctx.spool()
    for c in ctx.sample(0.05):
        rid = f"SBQJ{len(arrears) + 1:06d}"
        ctx.record(DEPT, "insurance_arrears", rid, c)
        announced = ctx.event_date(c)
        start = announced - dt.timedelta(days=ctx.rng.randint(60, 400))
        arrears.append(
            {
                "编号": rid,
                "统一社会信用代码": ctx.ident(c.uscc),
                "单位名称": ctx.name(c),
                "欠缴险种": ctx.rng.choice(INSURANCE),
                "欠缴金额": ctx.money(2_000, 600_000),
                "欠缴起始月份": start.strftime("%Y-%m"),
                "公告日期": ctx.date_text(announced),
                "更新时间": ctx.updated_at(announced),
            }
        )
    _write(ctx, d / "insurance_arrears.csv", ARREARS_COLUMNS, arrears)

    blacklist = ctx.spool()
    for c in ctx.sample(0.025, "construction"):
        rid = f"QXHMD{len(blacklist) + 1:05d}"
        ctx.record(DEPT, "wage_arrears_blacklist", rid, c)
        listed = ctx.event_date(c)
        removed = ctx.date_between(listed + dt.timedelta(days=365)) if ctx.rng.random() < 0.3 else None
        if removed is not None and removed <= listed:
            removed = None
        blacklist.append(
            {
                "编号": rid,
                "统一社会信用代码": ctx.ident(c.uscc),
                "单位名称": ctx.name(c),
                "法定代表人": c.legal_rep,
                "法定代表人身份证号": c.legal_rep_id,
                "拖欠人数": ctx.rng.randint(3, 120),
                "拖欠金额": ctx.money(20_000, 3_000_000),
                "列入日期": ctx.date_text(listed),
                "移出日期": removed.isoformat() if removed else "",
                "更新时间": ctx.updated_at(removed or listed),
            }
        )
    _write(ctx, d / "wage_arrears_blacklist.csv", BLACKLIST_COLUMNS, blacklist)

    penalties = ctx.spool()
    for c in ctx.sample(0.04):
        rid = f"LDCF{len(penalties) + 1:06d}"
        ctx.record(DEPT, "labour_penalties", rid, c)
        decided = ctx.event_date(c)
        amount = ctx.money(2_000, 100_000)
        case_no = f"深人社罚〔{decided.year}〕{len(penalties) + 1}号"
        ctx.penalty(c, case_no, "深圳市人力资源和社会保障局", decided)
        penalties.append(
            {
                "编号": rid,
                "统一社会信用代码": ctx.ident(c.uscc),
                "单位名称": ctx.name(c),
                "处罚决定书文号": case_no,
                "违法事实": ctx.rng.choice(LABOUR_FACTS),
                "处罚结果": f"罚款{amount:.0f}元",
                "罚款金额": amount,
                "处罚日期": ctx.date_text(decided),
                "更新时间": ctx.updated_at(decided),
                "备注": "已执行" if ctx.rng.random() < 0.6 else "",
            }
        )
    _write(ctx, d / "labour_penalties.csv", PENALTY_COLUMNS, penalties)


def _write(ctx: GenContext, path: Path, columns: list[str], rows: Iterable[dict[str, object]]) -> None:
    write_csv(path, columns, rows, encoding="utf-8", bom=True)
    ctx.add_file(DEPT, path)
