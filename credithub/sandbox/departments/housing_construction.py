"""住房和建设局: construction qualifications and bad-conduct records (JSON API, offset/limit)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.departments._api import write_streams

DEPT = "housing_construction"
QUALIFICATIONS = (
    "建筑工程施工总承包贰级",
    "建筑工程施工总承包叁级",
    "市政公用工程施工总承包贰级",
    "建筑装修装饰工程专业承包贰级",
    "机电工程施工总承包叁级",
    "地基基础工程专业承包叁级",
)
CONDUCT = ("未按规定实行实名制管理", "施工现场扬尘治理不到位", "违法分包", "拖欠农民工工资", "未按图纸施工")


def write(ctx: GenContext) -> None:
    quals, bad = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.04, "construction", boost=12):
        issued = ctx.date_between(max(c.established, dt.date(2019, 1, 1)))
        rid = f"D2443{ctx.rng.randrange(10**5):05d}{len(quals) + 1:03d}"
        ctx.record(DEPT, "qualifications", rid, c)
        quals.append(
            {
                "id": rid,
                "creditCode": ctx.ident(c.uscc),
                "companyName": ctx.name(c),
                "certNo": rid,
                "qualificationName": ctx.rng.choice(QUALIFICATIONS),
                "issueDate": ctx.date_text(issued),
                "expiryDate": (issued + dt.timedelta(days=5 * 365)).isoformat(),
                "updatedAt": ctx.updated_at(issued),
            }
        )
    for c in ctx.sample(0.015, "construction", boost=12):
        decided = ctx.event_date(c)
        rid = f"BLXW{len(bad) + 1:06d}"
        ctx.record(DEPT, "bad_conduct", rid, c)
        bad.append(
            {
                "id": rid,
                "creditCode": ctx.ident(c.uscc),
                "companyName": ctx.name(c),
                "projectName": f"{c.district}{ctx.rng.choice(('人才住房', '学校', '医院', '道路改造'))}项目",
                "conduct": ctx.rng.choice(CONDUCT),
                "deductPoints": ctx.rng.choice((2, 4, 6, 10)),
                "decisionDate": ctx.date_text(decided),
                "updatedAt": ctx.updated_at(decided),
            }
        )
    write_streams(ctx, DEPT, {"qualifications": quals, "bad_conduct": bad})
