"""Shared by the departments served over HTTP: write a stream's records for the sandbox server."""

from __future__ import annotations

from collections.abc import Iterable

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_api_records
from credithub.sandbox.store import sorted_rows


def write_streams(
    ctx: GenContext,
    department: str,
    streams: dict[str, Iterable[dict[str, object]]],
    changed: str = "updatedAt",
    key: str = "id",
) -> None:
    api = ctx.dept_dir(department) / "api"
    api.mkdir(exist_ok=True)
    for stream, rows in streams.items():
        ordered = sorted_rows(rows, key=lambda r: (str(r[changed]), str(r[key])))
        write_api_records(api / f"{stream}.json", ordered)
        ctx.add_file(department, api / f"{stream}.json")
