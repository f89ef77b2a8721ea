"""应急管理局: work-safety penalties and safety licences, as XML files (legacy registration numbers common)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_xml

DEPT = "emergency_management"
PENALTY_COLUMNS = ["Wsh", "Tyshxydm", "Zch", "Qymc", "Wfxw", "Cfjg", "Fkje", "Cfrq", "Gxsj"]
LICENCE_COLUMNS = ["Xkzh", "Tyshxydm", "Qymc", "Xkfw", "Fzrq", "Yxqz", "Zt", "Gxsj"]
FACTS = (
    "未按规定开展安全生产教育和培训",
    "未如实记录安全生产事故隐患排查治理情况",
    "特种作业人员未持证上岗",
    "未按规定设置安全警示标志",
    "危险化学品储存不符合规定",
)


def write(ctx: GenContext) -> None:
    penalties, licences = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.04, "factory", boost=3):
        decided = ctx.event_date(c)
        rid = f"深应急罚〔{decided.year}〕{len(penalties) + 1:04d}号"
        ctx.penalty(c, rid, "深圳市应急管理局", decided)
        ctx.record(DEPT, "work_safety_penalties", rid, c)
        by_reg_no = c.reg_no is not None and ctx.rng.random() < 0.6
        amount = ctx.money(5_000, 300_000, 1000)
        penalties.append(
            {
                "Wsh": rid,
                "Tyshxydm": None if by_reg_no else ctx.ident(c.uscc),
                "Zch": ctx.ident(c.reg_no) if by_reg_no else None,
                "Qymc": ctx.name(c),
                "Wfxw": ctx.rng.choice(FACTS),
                "Cfjg": f"警告，罚款{amount:.0f}元",
                "Fkje": amount,
                "Cfrq": ctx.date_text(decided),
                "Gxsj": ctx.updated_at(decided),
            }
        )
    for c in ctx.sample(0.02, "hazard", boost=20):
        issued = ctx.date_between(max(c.established, dt.date(2020, 1, 1)))
        rid = f"（粤）WH安许证字〔{issued.year}〕{len(licences) + 1:06d}"
        ctx.record(DEPT, "safety_licences", rid, c)
        licences.append(
            {
                "Xkzh": rid,
                "Tyshxydm": ctx.ident(c.uscc),
                "Qymc": ctx.name(c),
                "Xkfw": ctx.rng.choice(("危险化学品经营", "危险化学品生产", "烟花爆竹经营（批发）")),
                "Fzrq": ctx.date_text(issued),
                "Yxqz": (issued + dt.timedelta(days=3 * 365)).isoformat(),
                "Zt": ctx.vocab("注销" if c.status == "注销" else "有效", "冻结"),
                "Gxsj": ctx.updated_at(issued),
            }
        )
    d = ctx.dept_dir(DEPT)
    write_xml(d / "work_safety_penalties.xml", "Xzcf", "Record", PENALTY_COLUMNS, penalties)
    write_xml(d / "safety_licences.xml", "Aqsc", "Licence", LICENCE_COLUMNS, licences)
    ctx.add_file(DEPT, d / "work_safety_penalties.xml")
    ctx.add_file(DEPT, d / "safety_licences.xml")
