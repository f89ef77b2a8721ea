"""人民法院: dishonest judgment debtors (失信被执行人), as JSON Lines files (one per filing year)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_jsonl

DEPT = "courts"
COURTS = (
    ("深圳市中级人民法院", "粤03"),
    ("深圳市福田区人民法院", "粤0304"),
    ("深圳市南山区人民法院", "粤0305"),
    ("深圳市宝安区人民法院", "粤0306"),
    ("深圳市龙岗区人民法院", "粤0307"),
    ("深圳市罗湖区人民法院", "粤0303"),
)
PERFORMANCE = ("全部未履行", "部分履行", "全部履行")
DISRUPT = (
    "有履行能力而拒不履行生效法律文书确定义务",
    "违反财产报告制度",
    "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行",
    "违反限制消费令",
)


def write(ctx: GenContext) -> None:
    rows = ctx.spool()
    for c in itertools.chain(ctx.sample(0.06), ctx.outsiders):
        filed = ctx.event_date(c, dt.date(2020, 1, 1))
        court, code = ctx.rng.choice(COURTS)
        case = f"（{filed.year}）{code}执{ctx.rng.randint(100, 39999)}号"
        rid = f"SX{filed.year}{len(rows) + 1:06d}"
        ctx.record(DEPT, "dishonest_debtors", rid, c)
        published = ctx.date_between(filed, filed + dt.timedelta(days=60))
        r = ctx.rng.random()
        card = ctx.ident(c.org_code_dashed) if r < 0.4 else ctx.ident(c.uscc) if r < 0.7 else None
        performance = ctx.rng.choices(PERFORMANCE, weights=(70, 20, 10))[0]
        # A debtor who has performed in full is taken off the list; the record keeps the removal date.
        removed = ctx.date_between(published + dt.timedelta(days=30)) if performance == "全部履行" else None
        if removed is not None and removed <= published:
            removed = None
        rows.append(
            {
                "id": rid,
                "caseCode": case,
                "iname": ctx.name(c, 0.3),
                "cardNum": card,
                "businessEntity": c.legal_rep,
                "courtName": court,
                "areaName": "广东",
                "gistId": f"（{filed.year - 1}）{code}民初{ctx.rng.randint(100, 29999)}号",
                "regDate": ctx.date_text(filed),
                "publishDate": published.isoformat(),
                "amount": ctx.money(10_000, 5_000_000),
                "performance": ctx.vocab(performance, "履行中"),
                "disruptTypeName": ctx.rng.choice(DISRUPT),
                "removeDate": removed.isoformat() if removed else None,
                "updatedAt": ctx.updated_at(removed or published),
            }
        )
    folder = ctx.dept_dir(DEPT)
    per_year = Counter(str(r["updatedAt"])[:4] for r in rows)
    for year in sorted(per_year):
        part = (r for r in rows if str(r["updatedAt"]).startswith(year))
        broken = {}
        if ctx.fault_rate > 0 and per_year[year] > 3 and ctx.rng.random() < 0.5:
            broken = {
                per_year[year] // 2: '{"id": "SXBROKEN' + year + '", "caseCode": "（' + year + '）粤03执1号", "iname": '
            }
        path = folder / f"sxbzxr_{year}.jsonl"
        write_jsonl(path, part, broken=broken)
        ctx.add_file(DEPT, path)
