"""税务局: tax credit ratings, arrears announcements and major violation cases, served as a page-numbered JSON API."""

from __future__ import annotations

import datetime as dt
import itertools

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_api_records
from credithub.sandbox.population import Company, person_name
from credithub.sandbox.store import iter_api_records, sorted_rows

DEPT = "tax"
RATINGS = ("A", "B", "M", "C", "D")
TAX_TYPES = ("增值税", "企业所得税", "城市维护建设税", "个人所得税（代扣代缴）", "印花税")
CASES = (
    ("虚开增值税专用发票", "对其处以罚款并移送公安机关"),
    ("偷税", "追缴税款，加收滞纳金，并处偷税数额一倍罚款"),
    ("逃避追缴欠税", "追缴欠税、滞纳金，并处罚款"),
    ("骗取出口退税", "追缴骗取的退税款，并处罚款，停止出口退税权"),
)


def _taxpayer_id(ctx: GenContext, c: Company) -> str | None:
    # Companies registered before the USCC are often still filed under the old tax number.
    value = c.tax_no if c.tax_no and ctx.rng.random() < 0.5 else c.uscc
    return ctx.ident(value)


def _arrears_row(ctx: GenContext, i: int, c: Company, earliest: dt.date = dt.date(2021, 1, 1)) -> dict[str, object]:
    rid = f"QS{i:06d}"
    ctx.record(DEPT, "arrears", rid, c)
    announced = ctx.event_date(c, earliest)
    return {
        "id": rid,
        "taxpayerId": _taxpayer_id(ctx, c),
        "taxpayerName": ctx.name(c),
        "legalRep": c.legal_rep,
        "legalRepIdNo": c.legal_rep_id,
        "taxType": ctx.rng.choice(TAX_TYPES),
        "arrearsAmount": ctx.money(5_000, 3_000_000),
        "currentArrears": ctx.money(0, 500_000),
        "announceDate": ctx.date_text(announced),
        "updatedAt": ctx.updated_at(announced),
    }


def write(ctx: GenContext) -> None:
    ratings, arrears, violations = ctx.spool(), ctx.spool(), ctx.spool()
    for c in ctx.companies:
        if c.status == "注销" or ctx.rng.random() > 0.5:
            continue
        for year in (2023, 2024, 2025):
            if year < c.established.year or ctx.rng.random() < 0.3:
                continue
            weights = (5, 5, 2, 3, 6) if c.status == "吊销" else (25, 45, 15, 10, 5)
            rating = ctx.vocab(ctx.rng.choices(RATINGS, weights=weights)[0], "E")
            rid = f"NSXY{year}{len(ratings) + 1:06d}"
            ctx.record(DEPT, "tax_ratings", rid, c)
            published = ctx.date_between(dt.date(year + 1, 4, 1), dt.date(year + 1, 4, 30))
            if rating == "A" and c.status in {"存续", "在业"}:
                ctx.honour(c, "纳税信用A级纳税人", "国家税务总局深圳市税务局", published)
            record: dict[str, object] = {
                "id": rid,
                "taxpayerId": _taxpayer_id(ctx, c),
                "taxpayerName": ctx.name(c),
                "year": year,
                "rating": rating,
                "updatedAt": ctx.updated_at(published),
            }
            if ctx.faulty(0.2):
                del record["rating"]  # the API sometimes leaves a field out altogether
            ratings.append(record)
    for c in ctx.sample(0.06):
        arrears.append(_arrears_row(ctx, len(arrears) + 1, c))
    for c in ctx.sample(0.025):
        rid = f"ZDSS{len(violations) + 1:06d}"
        ctx.record(DEPT, "violations", rid, c)
        announced = ctx.event_date(c)
        nature, penalty = ctx.rng.choice(CASES)
        violations.append(
            {
                "id": rid,
                "taxpayerId": _taxpayer_id(ctx, c),
                "taxpayerName": ctx.name(c),
                "legalRep": c.legal_rep,
                "financeChief": person_name(ctx.rng),
                "caseNature": nature,
                "facts": f"经检查，该单位{announced.year - 1}年度存在{nature}行为，涉及税款{ctx.money(1e5, 5e6):.0f}元",
                "penalty": penalty,
                "announceDate": ctx.date_text(announced),
                "updatedAt": ctx.updated_at(announced),
            }
        )
    api = ctx.dept_dir(DEPT) / "api"
    api.mkdir(exist_ok=True)
    for stream, rows in (("tax_ratings", ratings), ("arrears", arrears), ("violations", violations)):
        write_api_records(api / f"{stream}.json", sorted_rows(rows, key=lambda r: (str(r["updatedAt"]), str(r["id"]))))
        ctx.add_file(DEPT, api / f"{stream}.json")


def advance(ctx: GenContext) -> None:
    """A day later: new arrears are announced and one earlier announcement is corrected."""
    path = ctx.dept_dir(DEPT) / "api" / "arrears.json"
    rows = ctx.spool()
    for row in iter_api_records(path):
        rows.append(row)
    if len(rows):
        fix = ctx.rng.randrange(len(rows))
        corrected = {"currentArrears": 0.0, "updatedAt": ctx.stamp()}
        fixed = ({**r, **corrected} if i == fix else r for i, r in enumerate(rows))
    else:
        fixed = iter(rows)
    new = []
    for c in ctx.rng.sample(ctx.companies, k=2):
        row = _arrears_row(ctx, len(rows) + len(new) + 1, c, earliest=ctx.today)
        row["updatedAt"] = ctx.stamp()
        new.append(row)
    ordered = sorted_rows(itertools.chain(fixed, new), key=lambda r: (str(r["updatedAt"]), str(r["id"])))
    write_api_records(path, ordered)
