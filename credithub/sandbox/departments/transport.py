"""交通运输局: road-transport operator quality and reputation ratings (JSON API, cursor tokens)."""

from __future__ import annotations

import datetime as dt

from credithub.sandbox.context import GenContext
from credithub.sandbox.departments._api import write_streams

DEPT = "transport"
GRADES = ("AAA", "AA", "A", "B")


def write(ctx: GenContext) -> None:
    rows = []
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
