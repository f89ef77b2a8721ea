"""海关: customs credit grades and penalties, as XML files."""

from __future__ import annotations

import itertools

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_xml

DEPT = "customs"
GRADE_COLUMNS = ["SeqNo", "CustomsCode", "SocialCreditCode", "EntName", "CreditGrade", "EffectiveDate", "UpdateTime"]
PENALTY_COLUMNS = ["CaseNo", "SocialCreditCode", "EntName", "Violation", "PenaltyAmount", "DecisionDate", "UpdateTime"]
GRADES = ("高级认证企业", "一般信用企业", "失信企业")
VIOLATIONS = ("申报不实影响国家税款征收", "未按规定申报进出口货物", "走私普通货物", "擅自处置监管货物")


def write(ctx: GenContext) -> None:
    grades, penalties = ctx.spool(), ctx.spool()
    for c in ctx.sample(0.1, "trade", boost=4):
        rid = f"HGXY{len(grades) + 1:06d}"
        ctx.record(DEPT, "credit_grades", rid, c)
        effective = ctx.event_date(c)
        grade = ctx.rng.choices(GRADES, weights=(15, 75, 10))[0]
        if grade == "高级认证企业" and c.status in {"存续", "在业"}:
            ctx.honour(c, "海关高级认证企业", "深圳海关", effective)
        grades.append(
            {
                "SeqNo": rid,
                "CustomsCode": f"4403{ctx.rng.randrange(10**6):06d}",
                "SocialCreditCode": ctx.ident(c.uscc),
                "EntName": ctx.name(c),
                "CreditGrade": ctx.vocab(grade, "认证企业"),
                "EffectiveDate": ctx.date_text(effective),
                "UpdateTime": ctx.updated_at(effective),
            }
        )
    for c in itertools.chain(ctx.sample(0.03, "trade", boost=4), ctx.outsiders[:1]):
        decided = ctx.event_date(c)
        rid = f"深关缉违字〔{decided.year}〕{len(penalties) + 1:04d}号"
        ctx.penalty(c, rid, "深圳海关", decided)
        ctx.record(DEPT, "penalties", rid, c)
        penalties.append(
            {
                "CaseNo": rid,
                "SocialCreditCode": ctx.ident(c.uscc),
                "EntName": ctx.name(c),
                "Violation": ctx.rng.choice(VIOLATIONS),
                "PenaltyAmount": ctx.money(1000, 800_000),
                "DecisionDate": ctx.date_text(decided),
                "UpdateTime": ctx.updated_at(decided),
            }
        )
    d = ctx.dept_dir(DEPT)
    for sub, root, item, cols, rows in (
        ("credit_grades", "CreditGrades", "Enterprise", GRADE_COLUMNS, grades),
        ("penalties", "Penalties", "Case", PENALTY_COLUMNS, penalties),
    ):
        # Customs drops one file per half year of updates.
        for half, part in (
            ("H1", (r for r in rows if str(r["UpdateTime"])[5:7] <= "06")),
            ("H2", (r for r in rows if str(r["UpdateTime"])[5:7] > "06")),
        ):
            path = d / f"{sub}_{half}.xml"
            write_xml(path, root, item, cols, part, attrs={"source": "深圳海关"})
            ctx.add_file(DEPT, path)
