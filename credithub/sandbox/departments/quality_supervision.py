"""质量技术监督局: product spot checks and production licences, as GBK CSV exports keyed by organization code."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_csv
from credithub.sandbox.population import Company
from credithub.sandbox.store import Spool
from credithub.sandbox.words import PRODUCTS, SPOT_ISSUES

DEPT = "quality_supervision"
SPOT_COLUMNS = ["序号", "组织机构代码", "企业名称", "产品名称", "抽查日期", "检验结果", "主要问题", "更新时间"]
LICENCE_COLUMNS = ["证书编号", "组织机构代码", "企业名称", "产品名称", "发证日期", "有效期至", "证书状态", "更新时间"]


def _org(ctx: GenContext, c: Company) -> str | None:
    value = c.org_code_dashed if ctx.rng.random() < 0.65 else c.org_code
    return ctx.ident(value)


def write(ctx: GenContext) -> None:
    spot = ctx.spool()
    for c in ctx.sample(0.12, "factory"):
        for _ in range(ctx.rng.choice((1, 1, 2))):
            rid = f"ZJCC{len(spot) + 1:06d}"
            ctx.record(DEPT, "spot_checks", rid, c)
            checked = ctx.event_date(c)
            failed = ctx.rng.random() < 0.25
            spot.append(
                {
                    "序号": rid,
                    "组织机构代码": _org(ctx, c),
                    "企业名称": ctx.name(c),
                    "产品名称": ctx.rng.choice(PRODUCTS),
                    "抽查日期": ctx.date_text(checked),
                    "检验结果": ctx.vocab("不合格" if failed else "合格", "基本合格"),
                    "主要问题": _issues(ctx) if failed else "",
                    "更新时间": ctx.updated_at(checked),
                }
            )
    broken = _broken_lines(ctx, spot)
    path = ctx.dept_dir(DEPT) / "spot_checks_2026.csv"
    write_csv(path, SPOT_COLUMNS, spot, encoding="gbk", broken=broken)
    ctx.add_file(DEPT, path)

    licences = ctx.spool()
    for c in ctx.sample(0.05, "factory", boost=5):
        rid = f"粤XK{ctx.rng.randint(10, 16)}-{ctx.rng.randint(100, 999)}-{len(licences) + 1:05d}"
        ctx.record(DEPT, "production_licences", rid, c)
        issued = ctx.date_between(max(c.established, dt.date(2019, 1, 1)))
        expiry = issued + dt.timedelta(days=5 * 365)
        licences.append(
            {
                "证书编号": rid,
                "组织机构代码": _org(ctx, c),
                "企业名称": ctx.name(c),
                "产品名称": ctx.rng.choice(PRODUCTS),
                "发证日期": ctx.date_text(issued),
                "有效期至": expiry.isoformat(),
                "证书状态": "注销" if c.status == "注销" else ctx.vocab("有效", "作废中"),
                "更新时间": ctx.updated_at(issued),
            }
        )
    path = ctx.dept_dir(DEPT) / "production_licences.csv"
    write_csv(path, LICENCE_COLUMNS, licences, encoding="gbk")
    ctx.add_file(DEPT, path)


def _broken_lines(ctx: GenContext, rows: Spool) -> dict[int, bytes]:
    """Rows a real export mangles: a wrong column count and an undecodable byte sequence."""
    if ctx.fault_rate <= 0 or len(rows) < 4:
        return {}
    out: dict[int, bytes] = {}
    n = max(2, round(len(rows) * ctx.fault_rate * 0.3))
    for k in range(n):
        pos = ctx.rng.randrange(1, len(rows))
        c = ctx.rng.choice(ctx.companies)
        rid = f"ZJCC9{k:05d}"
        ctx.record(DEPT, "spot_checks", rid, c)
        checked = ctx.event_date(c).isoformat()
        if k % 2 == 0:
            line = f"{rid},{c.org_code_dashed},{c.name},{ctx.rng.choice(PRODUCTS)},{checked},合格\r\n".encode("gbk")
        else:
            name = c.name.encode("gbk")
            line = (
                f"{rid},{c.org_code_dashed},".encode("gbk")
                + name[:4]
                + b"\xff\xfe"
                + name[4:]
                + f",{ctx.rng.choice(PRODUCTS)},{checked},合格,,{checked}T10:00:00\r\n".encode("gbk")
            )
        out[pos] = out.get(pos, b"") + line
    return out


def advance(ctx: GenContext) -> None:
    """A day later: the bureau drops a new export with that day's spot checks."""
    rows: list[dict[str, object]] = []
    for k, c in enumerate(ctx.rng.sample(ctx.companies, k=3), start=1):
        rid = f"ZJCC{ctx.today:%Y%m%d}{k:03d}"
        ctx.record(DEPT, "spot_checks", rid, c)
        failed = ctx.rng.random() < 0.3
        rows.append(
            {
                "序号": rid,
                "组织机构代码": _org(ctx, c),
                "企业名称": ctx.name(c),
                "产品名称": ctx.rng.choice(PRODUCTS),
                "抽查日期": ctx.today.isoformat(),
                "检验结果": "不合格" if failed else "合格",
                "主要问题": ctx.rng.choice(SPOT_ISSUES) if failed else "",
                "更新时间": ctx.stamp(),
            }
        )
    path = ctx.dept_dir(DEPT) / f"spot_checks_{ctx.today:%Y-%m-%d}.csv"
    write_csv(path, SPOT_COLUMNS, rows, encoding="gbk")
    ctx.add_file(DEPT, path)


def _issues(ctx: GenContext) -> str:
    """One problem, or several: clerks list them comma-separated or one per line (quoted multi-line CSV field)."""
    if ctx.rng.random() < 0.75:
        return ctx.rng.choice(SPOT_ISSUES)
    first, second = ctx.rng.sample(SPOT_ISSUES, k=2)
    return f"{first},{second}" if ctx.rng.random() < 0.5 else f"{first}\n{second}"
