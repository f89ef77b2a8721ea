"""Shared by the departments served over HTTP: write a stream's records for the sandbox server."""

from __future__ import annotations

from credithub.sandbox.context import GenContext
from credithub.sandbox.formats import write_api_records


def write_streams(
    ctx: GenContext,
    department: str,
    streams: dict[str, list[dict[str, object]]],
    changed: str = "updatedAt",
    key: str = "id",
) -> None:
    api = ctx.dept_dir(department) / "api"
    api.mkdir(exist_ok=True)
    for stream, rows in streams.items():
        rows.sort(key=lambda r: (str(r[changed]), str(r[key])))
        write_api_records(api / f"{stream}.json", rows)
        ctx.add_file(department, api / f"{stream}.json")
