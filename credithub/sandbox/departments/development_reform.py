"""发展和改革委员会: credit commitments, the red list (守信激励) and credit-repair decisions (JSON API)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.departments._api import write_streams
from credithub.sandbox.population import Company

DEPT = "development_reform"
COMMITMENTS = ("证明事项告知承诺", "审批替代型承诺", "主动型承诺", "信用修复承诺")
RED_LISTS = (
    ("纳税信用A级纳税人", "国家税务总局深圳市税务局"),
    ("海关高级认证企业", "深圳海关"),
    ("守合同重信用企业", "深圳市市场监督管理局"),
    ("劳动保障守法诚信示范单位", "深圳市人力资源和社会保障局"),
)


def write(ctx: GenContext) -> None:
    commitments, red, repair = ctx.spool(), ctx.spool(), ctx.spool()
    for c in ctx.sample(0.12):
        committed = ctx.event_date(c)
        rid = f"XYCN{len(commitments) + 1:06d}"
        ctx.record(DEPT, "credit_commitments", rid, c)
        commitments.append(
            {
                "id": rid,
                "entName": ctx.name(c),
                "uscc": ctx.ident(c.uscc),
                "commitmentType": ctx.rng.choice(COMMITMENTS),
                "matter": "企业投资项目备案",
                "commitDate": ctx.date_text(committed),
                "fulfilment": ctx.vocab(ctx.rng.choices(("履约", "履约中", "未履约"), weights=(60, 35, 5))[0], "不详"),
                "updatedAt": ctx.updated_at(committed),
            }
        )
    # The red list follows other departments' honours (tax A, customs AEO) plus its own awards.
    # Awards name companies by id: a city-sized list of models would not fit in memory.
    pop = ctx.companies
    awards = [
        (h.company_id, h.list_name, h.issuer, h.since)
        for h in ctx.honours
        if h.since >= dt.date(2023, 1, 1) and pop.position(h.company_id) is not None
    ]
    awards = ctx.rng.sample(awards, k=min(len(awards), max(3, len(ctx.companies) * 4 // 100)))
    for c in ctx.sample(0.015):
        if c.status not in {"吊销", "注销"}:
            awards.append((c.company_id, *ctx.rng.choice(RED_LISTS[2:]), ctx.event_date(c, dt.date(2023, 1, 1))))
    for company_id, name, issuer, since in sorted(awards, key=lambda a: (a[3], a[0], a[1])):
        c = _company(ctx, company_id)
        listed = ctx.date_between(since, since + dt.timedelta(days=30))
        rid = f"HMD{len(red) + 1:06d}"
        ctx.record(DEPT, "red_list", rid, c)
        red.append(
            {
                "id": rid,
                "entName": ctx.name(c),
                "uscc": ctx.ident(c.uscc),
                "listName": name,
                "issuer": issuer,
                "listedDate": ctx.date_text(listed),
                "validUntil": (listed + dt.timedelta(days=730)).isoformat(),
                "updatedAt": ctx.updated_at(listed),
            }
        )
    # A repair names a real penalty decision of the same company, after the minimum publicity period.
    candidates = [
        p
        for p in ctx.penalties
        if pop.position(p.company_id) is not None and p.decided <= ctx.today - dt.timedelta(days=120)
    ]
    chosen = ctx.rng.sample(candidates, k=min(len(candidates), max(4, len(ctx.companies) * 3 // 100)))
    for p in sorted(chosen, key=lambda p: (p.decided, p.case_no)):
        c = _company(ctx, p.company_id)
        decided = ctx.date_between(p.decided + dt.timedelta(days=91), p.decided + dt.timedelta(days=400))
        rid = f"XYXF{len(repair) + 1:06d}"
        ctx.record(DEPT, "credit_repair", rid, c)
        repair.append(
            {
                "id": rid,
                "entName": ctx.name(c),
                "uscc": ctx.ident(c.uscc),
                "originalRecord": p.case_no,
                "originalDept": p.authority,
                "repairDate": ctx.date_text(decided),
                "result": ctx.vocab(ctx.rng.choices(("准予修复", "不予修复"), weights=(85, 15))[0], "待审核"),
                "updatedAt": ctx.updated_at(decided),
            }
        )
    write_streams(ctx, DEPT, {"credit_commitments": commitments, "red_list": red, "credit_repair": repair})


def _company(ctx: GenContext, company_id: str) -> Company:
    c = ctx.company(company_id)
    if c is None:  # ids were checked against the population above
        raise KeyError(company_id)
    return c
