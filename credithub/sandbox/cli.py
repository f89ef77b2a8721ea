"""`credithub sandbox …`: generate the sandbox department sources and serve their HTTP APIs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from credithub.errors import CreditHubError

app = typer.Typer(help="Generate and serve sandbox department sources.", no_args_is_help=True)
console = Console(stderr=True)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the sandbox into.")] = Path("var/sandbox"),
    companies: Annotated[int, typer.Option("--companies", "-n", min=10, help="Companies in the population.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")] = 20261128,
    fault_rate: Annotated[
        float, typer.Option("--fault-rate", min=0.0, max=0.5, help="Share of records with realistic faults.")
    ] = 0.04,
) -> None:
    """Write all 17 department sources plus ground_truth.jsonl for one synthetic population."""
    from credithub.sandbox.build import generate as build
    from credithub.sandbox.departments import DEPARTMENTS

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        # One step for the population, then one per department.
        task = progress.add_task("population", total=len(DEPARTMENTS) + 1)
        try:
            manifest = build(
                out,
                companies,
                seed,
                fault_rate=fault_rate,
                progress=lambda dept: progress.update(task, advance=1, description=dept),
            )
        except CreditHubError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    table = Table(title=f"sandbox at {out} (seed {seed})")
    for col in ("department", "stream", "records"):
        table.add_column(col)
    for dept, streams in manifest.counts.items():
        for stream, n in streams.items():
            table.add_row(dept, stream, str(n))
    Console().print(table)


@app.command()
def advance(
    dir: Annotated[Path, typer.Option("--dir", help="A generated sandbox directory.")] = Path("var/sandbox"),  # noqa: A002
    change_share: Annotated[
        float,
        typer.Option(
            "--change-share",
            min=0.0,
            max=1.0,
            help="Also give this share of all records a new version (0.01 = 1 %), in the SQL and API departments.",
        ),
    ] = 0.0,
) -> None:
    """Move the sandbox one day forward: new and changed records for incremental syncs."""
    from credithub.sandbox.evolve import advance as step

    try:
        before = _total(dir)
        with console.status(f"advancing {dir} by one day"):
            manifest = step(dir, change_share=change_share)
    except CreditHubError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    changed = sum(sum(s.values()) for s in manifest.last_changed.values())
    share = changed / before if before else 0.0
    typer.echo(
        f"day {manifest.days_advanced}: {manifest.total() - before} new records, "
        f"{changed} of {before} records changed ({share:.2%})"
    )


def _total(path: Path) -> int:
    from credithub.sandbox.build import load_manifest

    return load_manifest(path).total()


@app.command()
def serve(
    dir: Annotated[Path, typer.Option("--dir", help="A generated sandbox directory.")] = Path("var/sandbox"),  # noqa: A002
    port: Annotated[int, typer.Option("--port", help="First port (0 = any free ports).")] = 0,
    sources_out: Annotated[
        Path | None,
        typer.Option(
            "--sources-out", help="Write the connector configs for these servers here (for `credithub run --sources`)."
        ),
    ] = None,
) -> None:
    """Serve the sandbox's JSON-API departments on 127.0.0.1 until interrupted (Ctrl-C)."""
    from credithub.sandbox.build import load_manifest
    from credithub.sandbox.server import serve_sandbox

    try:
        manifest = load_manifest(dir)
        with serve_sandbox(dir, port=port) as server:
            if sources_out is not None:
                from credithub.sandbox.sources import sources_config

                configs = sources_config(dir, server.base_urls)
                tmp = sources_out.with_name(sources_out.name + ".tmp")
                tmp.write_text(json.dumps(configs, ensure_ascii=False, indent=2), encoding="utf-8")
                tmp.replace(sources_out)  # readers never see half a file
                typer.echo(f"connector configs written to {sources_out}")
            for dept, url in server.base_urls.items():
                key = manifest.api_keys.get(dept)
                auth = manifest.basic_auth.get(dept)
                note = f"\t(X-API-Key: {key})" if key else f"\t(basic auth user {auth['username']})" if auth else ""
                typer.echo(f"{dept}\t{url}{note}")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    except CreditHubError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
