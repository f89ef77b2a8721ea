"""市场监督管理局: the business register (the master) and its lists, in one SQLite database."""

from __future__ import annotations

import datetime as dt
import sqlite3

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_sqlite
from credithub.sandbox.population import Company

DEPT = "market_regulation"
DB_FILE = "scjg.db"

REGISTER_COLUMNS = [
    "ID",
    "TYSHXYDM",
    "ZCH",
    "QYMC",
    "CYM",
    "FDDBR",
    "ZCZB",
    "CLRQ",
    "ZS",
    "DJZT",
    "JYFW",
    "HYML",
    "SSQX",
    "GXSJ",
]
ABNORMAL_COLUMNS = ["ID", "TYSHXYDM", "QYMC", "LRYY", "LRRQ", "ZCJG", "YCYY", "YCRQ", "GXSJ"]
SERIOUS_COLUMNS = ["ID", "TYSHXYDM", "QYMC", "LRYY", "LRRQ", "ZCJG", "GXSJ"]
PENALTY_COLUMNS = ["ID", "TYSHXYDM", "QYMC", "CFJDSWH", "WFXW", "CFNR", "FKJE", "CFRQ", "GSRQ", "GXSJ"]

LIST_REASONS = (
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在责令的期限内公示有关企业信息",
)
REMOVE_REASONS = ("已补报未报年份的年度报告并公示", "已依法办理住所变更登记", "已更正其公示的信息")
PENALTY_FACTS = (
    ("销售不符合保障人体健康的国家标准的产品", "没收违法所得，罚款"),
    ("发布虚假广告", "责令停止发布，罚款"),
    ("未按规定公示年度报告且情节严重", "罚款"),
    ("生产销售标识不符合规定的产品", "警告，罚款"),
    ("价格违法行为", "罚款"),
)
OFFICES = (
    "深圳市市场监督管理局",
    "深圳市市场监督管理局南山监管局",
    "深圳市市场监督管理局福田监管局",
    "深圳市市场监督管理局宝安监管局",
)


def write(ctx: GenContext) -> None:
    register, abnormal, serious, penalties = ctx.spool(), ctx.spool(), ctx.spool(), ctx.spool()
    for i, c in enumerate(ctx.companies, start=1):
        register.append(_register_row(ctx, i, c))
    for c in ctx.companies:
        share = 0.35 if c.status == "吊销" else 0.08
        if ctx.rng.random() < share:
            listing = _abnormal_row(ctx, len(abnormal) + 1, c)
            abnormal.append(listing)
            if listing["YCRQ"] is None and str(listing["LRRQ"]) < "2023-06-01" and ctx.rng.random() < 0.7:
                serious.append(_serious_row(ctx, len(serious) + 1, c, listing))
        if ctx.rng.random() < 0.1:
            penalties.append(_penalty_row(ctx, len(penalties) + 1, c))
    write_sqlite(
        ctx.dept_dir(DEPT) / DB_FILE,
        {
            "qy_djxx": (REGISTER_COLUMNS, register),
            "jyyc_ml": (ABNORMAL_COLUMNS, abnormal),
            "yzwfsx_md": (SERIOUS_COLUMNS, serious),
            "xzcf_xx": (PENALTY_COLUMNS, penalties),
        },
    )
    ctx.add_file(DEPT, ctx.out_dir / DEPT / DB_FILE)


def _register_row(ctx: GenContext, i: int, c: Company) -> dict[str, object]:
    rid = f"SZ{i:07d}"
    ctx.record(DEPT, "register", rid, c)
    status = c.status
    if ctx.faulty(0.3):
        status = "正常"  # not in the register's vocabulary
    return {
        "ID": rid,
        "TYSHXYDM": ctx.ident(c.uscc, 0.3),
        "ZCH": c.reg_no,
        "QYMC": c.name,
        "CYM": "；".join(c.former_names) or None,
        "FDDBR": c.legal_rep,
        "ZCZB": None if c.parent_id else f"{c.registered_capital:.2f}",
        "CLRQ": ctx.date_text(c.established, 0.3),
        "ZS": c.address,
        "DJZT": status,
        "JYFW": c.business_scope,
        "HYML": c.industry,
        "SSQX": c.district,
        "GXSJ": ctx.updated_at(ctx.date_between(max(c.established, dt.date(2025, 6, 1)))),
    }


def _abnormal_row(ctx: GenContext, i: int, c: Company, earliest: dt.date = dt.date(2019, 7, 1)) -> dict[str, object]:
    rid = f"JYYC{i:06d}"
    ctx.record(DEPT, "abnormal_operations", rid, c)
    listed = ctx.event_date(c, earliest)
    removed = None
    if c.status in {"存续", "在业"} and ctx.rng.random() < 0.5 and listed < ctx.today - dt.timedelta(days=30):
        removed = ctx.date_between(listed + dt.timedelta(days=20))
    return {
        "ID": rid,
        "TYSHXYDM": ctx.ident(c.uscc),
        "QYMC": ctx.name(c, 0.1),
        "LRYY": ctx.rng.choice(LIST_REASONS),
        "LRRQ": ctx.date_text(listed),
        "ZCJG": ctx.rng.choice(OFFICES),
        "YCYY": ctx.rng.choice(REMOVE_REASONS) if removed else None,
        "YCRQ": removed.isoformat() if removed else None,
        "GXSJ": ctx.updated_at(removed or listed),
    }


def _serious_row(ctx: GenContext, i: int, c: Company, abnormal: dict[str, object]) -> dict[str, object]:
    rid = f"YZWF{i:06d}"
    ctx.record(DEPT, "serious_dishonest", rid, c)
    listed = ctx.date_between(dt.date(2026, 6, 1))
    return {
        "ID": rid,
        "TYSHXYDM": ctx.ident(c.uscc),
        "QYMC": ctx.name(c, 0.1),
        "LRYY": "被列入经营异常名录届满3年仍未履行相关义务",
        "LRRQ": ctx.date_text(listed),
        "ZCJG": "深圳市市场监督管理局",
        "GXSJ": ctx.updated_at(listed),
    }


def _penalty_row(ctx: GenContext, i: int, c: Company) -> dict[str, object]:
    rid = f"XZCF{i:06d}"
    ctx.record(DEPT, "penalties", rid, c)
    decided = ctx.event_date(c)
    published = ctx.date_between(decided, decided + dt.timedelta(days=7))
    fact, content = ctx.rng.choice(PENALTY_FACTS)
    case_no = f"深市监罚〔{decided.year}〕{i}号"
    ctx.penalty(c, case_no, "深圳市市场监督管理局", decided)
    return {
        "ID": rid,
        "TYSHXYDM": ctx.ident(c.uscc),
        "QYMC": ctx.name(c, 0.15),
        "CFJDSWH": case_no,
        "WFXW": fact,
        "CFNR": content,
        "FKJE": f"{ctx.money(0.5, 50, 0.5):.1f}",
        "CFRQ": ctx.date_text(decided),
        "GSRQ": published.isoformat(),
        "GXSJ": ctx.updated_at(published),
    }


def advance(ctx: GenContext) -> None:
    """A day later: a few companies change status, are listed as abnormal, or are removed from the list."""
    path = ctx.dept_dir(DEPT) / DB_FILE
    conn = sqlite3.connect(path)
    try:
        pop = ctx.companies
        # Positions, not models: sampling positions draws exactly what sampling the models drew.
        live = [i for i in range(len(pop)) if pop.status_of(i) in {"存续", "在业"}]
        # Without an index each update would scan the whole register.
        conn.execute("CREATE INDEX IF NOT EXISTS qy_djxx_qymc ON qy_djxx (QYMC)")
        for i in ctx.rng.sample(live, k=min(len(live), max(1, len(ctx.companies) // 100))):
            c = pop[i]
            c.status = ctx.rng.choice(("吊销", "注销"))
            pop.replace(i, c)
            conn.execute("UPDATE qy_djxx SET DJZT = ?, GXSJ = ? WHERE QYMC = ?", (c.status, ctx.stamp(), c.name))
        n = conn.execute("SELECT COUNT(*) FROM jyyc_ml").fetchone()[0]
        for k, i in enumerate(ctx.rng.sample(live, k=min(len(live), 3)), start=1):
            c = pop[i]
            row = _abnormal_row(ctx, n + k, c, earliest=ctx.today)
            row.update(YCYY=None, YCRQ=None, GXSJ=ctx.stamp())
            marks = ", ".join("?" for _ in ABNORMAL_COLUMNS)
            conn.execute(
                f"INSERT INTO jyyc_ml ({', '.join(ABNORMAL_COLUMNS)}) VALUES ({marks})",
                [row[col] for col in ABNORMAL_COLUMNS],
            )
        listed = conn.execute("SELECT ID FROM jyyc_ml WHERE YCRQ IS NULL ORDER BY ID").fetchall()
        for (rid,) in ctx.rng.sample(listed, k=min(len(listed), 2)):
            conn.execute(
                "UPDATE jyyc_ml SET YCRQ = ?, YCYY = ?, GXSJ = ? WHERE ID = ?",
                (ctx.today.isoformat(), ctx.rng.choice(REMOVE_REASONS), ctx.stamp(), rid),
            )
        conn.commit()
    finally:
        conn.close()
