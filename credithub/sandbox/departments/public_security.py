"""公安局 (fire services): fire-safety inspections and penalties, in its own SQLite schema keyed by org code."""

from __future__ import annotations

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_sqlite

DEPT = "public_security"
DB_FILE = "xfjd.db"
INSPECTION_COLUMNS = ["jcid", "dwmc", "zzjgdm", "dwdz", "jcrq", "jcjg", "wtms", "gxsj"]
PENALTY_COLUMNS = ["cfid", "jdswh", "dwmc", "tyshxydm", "wfxw", "cfzl", "fkje", "cfrq", "gxsj"]
PROBLEMS = ("疏散通道堵塞", "消防设施未保持完好有效", "安全出口锁闭", "未按规定进行消防安全检查", "电动自行车违规充电")


def write(ctx: GenContext) -> None:
    inspections, penalties = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.08, "factory"):
        checked = ctx.event_date(c)
        rid = f"XFJC{len(inspections) + 1:07d}"
        ctx.record(DEPT, "fire_inspections", rid, c)
        result = ctx.rng.choices(("合格", "责令改正", "不合格"), weights=(70, 22, 8))[0]
        inspections.append(
            {
                "jcid": rid,
                "dwmc": ctx.name(c),
                "zzjgdm": ctx.ident(c.org_code_dashed),
                "dwdz": c.address,
                "jcrq": ctx.date_text(checked),
                "jcjg": ctx.vocab(result, "待复查"),
                "wtms": "" if result == "合格" else ctx.rng.choice(PROBLEMS),
                "gxsj": ctx.updated_at(checked).replace("T", " "),
            }
        )
    for c in ctx.sample(0.02, "factory"):
        decided = ctx.event_date(c)
        rid = f"XFCF{len(penalties) + 1:07d}"
        ctx.record(DEPT, "fire_penalties", rid, c)
        kind = ctx.rng.choices(("罚款", "责令停产停业", "警告"), weights=(70, 10, 20))[0]
        case_no = f"深公消行罚决字〔{decided.year}〕{len(penalties) + 1:04d}号"
        ctx.penalty(c, case_no, "深圳市消防救援支队", decided)
        penalties.append(
            {
                "cfid": rid,
                "jdswh": case_no,
                "dwmc": ctx.name(c),
                "tyshxydm": ctx.ident(c.uscc),
                "wfxw": ctx.rng.choice(PROBLEMS),
                "cfzl": kind,
                "fkje": ctx.money(5_000, 50_000, 1000) if kind == "罚款" else None,
                "cfrq": ctx.date_text(decided),
                "gxsj": ctx.updated_at(decided).replace("T", " "),
            }
        )
    path = ctx.dept_dir(DEPT) / DB_FILE
    write_sqlite(path, {"t_xf_jcjl": (INSPECTION_COLUMNS, inspections), "t_xf_xzcf": (PENALTY_COLUMNS, penalties)})
    ctx.add_file(DEPT, path)
