"""住房公积金管理中心: provident-fund contribution arrears (plain paged JSON API)."""

from __future__ import annotations

from credithub.sandbox.context import GenContext
from credithub.sandbox.departments._api import write_streams

DEPT = "housing_provident_fund"


def write(ctx: GenContext) -> None:
    rows = ctx.spool()
    for c in ctx.sample(0.04):
        noticed = ctx.event_date(c)
        rid = f"GJJQJ{len(rows) + 1:06d}"
        ctx.record(DEPT, "arrears", rid, c)
        rows.append(
            {
                "id": rid,
                "unitName": ctx.name(c),
                "creditCode": ctx.ident(c.uscc),
                "unitAccount": f"2{ctx.rng.randrange(10**10):010d}",
                "arrearsMonths": ctx.rng.randint(2, 36),
                "arrearsAmount": ctx.money(3_000, 900_000),
                "employees": ctx.rng.randint(3, 300),
                "noticeDate": ctx.date_text(noticed),
                "status": ctx.vocab(ctx.rng.choice(("未缴清", "已缴清")), "部分缴清"),
                "updatedAt": ctx.updated_at(noticed),
            }
        )
    write_streams(ctx, DEPT, {"arrears": rows})
