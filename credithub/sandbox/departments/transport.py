"""交通运输局: road-transport operator quality and reputation ratings (JSON API, cursor tokens)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.departments._api import write_streams
from credithub.sandbox.formats import write_api_records
from credithub.sandbox.store import iter_api_records, sorted_rows

DEPT = "transport"
GRADES = ("AAA", "AA", "A", "B")


def write(ctx: GenContext) -> None:
    rows = ctx.spool()
    for c in ctx.sample(0.03, "transport", boost=15):
        year = ctx.rng.choice((2023, 2024, 2025))
        published = ctx.date_between(dt.date(year + 1, 5, 1))
        rid = f"ZLXY{year}{len(rows) + 1:05d}"
        ctx.record(DEPT, "ratings", rid, c)
        rows.append(
            {
                "id": rid,
                "enterpriseName": ctx.name(c),
                "uscc": ctx.ident(c.uscc),
                "operatingLicenceNo": f"粤交运管许可深字440300{ctx.rng.randrange(10**6):06d}号",
                "grade": ctx.vocab(ctx.rng.choices(GRADES, weights=(10, 35, 45, 10))[0], "AAAA"),
                "assessmentYear": year,
                "publishDate": ctx.date_text(published),
                "updatedAt": ctx.updated_at(published),
            }
        )
    write_streams(ctx, DEPT, {"ratings": rows})


def advance(ctx: GenContext) -> None:
    """A day later: one operator's rating is re-assessed (same record, new grade)."""
    path = ctx.dept_dir(DEPT) / "api" / "ratings.json"
    rows = ctx.spool()
    for row in iter_api_records(path):
        rows.append(row)
    if len(rows):
        pick = ctx.rng.randrange(len(rows))
        change = {"grade": ctx.rng.choice(GRADES), "updatedAt": ctx.stamp()}
        changed = ({**r, **change} if i == pick else r for i, r in enumerate(rows))
        write_api_records(path, sorted_rows(changed, key=lambda r: (str(r["updatedAt"]), str(r["id"]))))
