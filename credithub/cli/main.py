"""`credithub` — the command line. Each area contributes its own sub-command group."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.cli import app as connectors_app
from credithub.errors import CreditHubError
from credithub.observability.logs import configure_logging
from credithub.sandbox.cli import app as sandbox_app
from credithub.scorecard.cli import app as scorecard_app
from credithub.settings import Settings
from credithub.stewardship.cli import app as stewards_app
from entity_resolution.cli import eval_app, resolve_command

app = typer.Typer(
    name="credithub",
    help="CreditHub: enterprise credit information hub — sync departments, validate, resolve, publish, serve.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(connectors_app, name="connectors", help="List, check, sync, test and scaffold department connectors.")
app.add_typer(sandbox_app, name="sandbox", help="Generate and serve sandbox department sources.")
app.add_typer(stewards_app, name="stewards", help="Manage data steward tokens.")
app.add_typer(scorecard_app, name="scorecard", help="Evaluate and show the department scorecard.")
app.add_typer(eval_app, name="eval", help="Evaluate pipeline quality on sandbox ground truth.")
app.command("resolve", help="Resolve records.jsonl into entity clusters (standalone, no database).")(resolve_command)

console = Console(stderr=True)

RUN_DEPARTMENTS_FAILED = 2
"""Exit code of `credithub run` when at least one department failed (1 = the run itself could not start)."""


def _settings(**overrides: object) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]


@app.command()
def run(
    department: Annotated[
        list[str] | None, typer.Option("--department", "-d", help="Only these departments (repeatable).")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read every source from the start (no duplicates).")] = False,
    companies: Annotated[
        int | None, typer.Option(help="Sandbox population size when the sandbox is generated.")
    ] = None,
    sources: Annotated[
        Path | None, typer.Option(help="Sources file (JSON/YAML: department -> connector config).")
    ] = None,
    report_json: Annotated[Path | None, typer.Option(help="Write the run report as JSON here.")] = None,
) -> None:
    """Run the main job: sync -> validate -> resolve -> build profiles -> publish.

    With no sources configured it generates and serves the sandbox departments.
    Exits 2 when any department failed (the others are still processed), naming each and why.
    """
    from credithub.pipeline.run import run_pipeline

    settings = _settings(sandbox_companies=companies, sources_config=sources)
    with Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("starting", total=None)
        try:
            report = run_pipeline(
                settings,
                departments=department or None,
                full=full,
                progress=lambda msg: progress.update(task, description=msg),
            )
        except CreditHubError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    table = Table(title="CreditHub run")
    for col in ("department", "fetched", "new", "faulty", "passed", "quarantined", "status"):
        table.add_column(col)
    for d in report.departments:
        fetched = sum(s.rows_fetched for s in d.syncs)
        new = sum(s.rows_new for s in d.syncs)
        faulty = sum(s.rows_faulty for s in d.syncs)
        passed = sum(int(v.get("passed", 0)) for v in d.validations)
        quarantined = sum(int(v.get("quarantined", 0)) for v in d.validations)
        status = "[red]failed[/red]" if d.error else "ok"
        table.add_row(d.department, str(fetched), str(new), str(faulty), str(passed), str(quarantined), status)
    console.print(table)
    console.print(
        f"resolve: {report.resolve}\nprofiles: {report.profiles}\npublish: {report.publish}", highlight=False
    )
    if report_json:
        report_json.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    failed = [d for d in report.departments if d.error]
    if failed:
        # Schedulers and shell scripts only see the exit code: a run that lost departments
        # must not look like a clean one.
        console.print(f"[red]{len(failed)} department(s) failed:[/red]")
        for d in failed:
            console.print(f"[yellow]{d.department}[/yellow]: {d.error}", highlight=False)
        raise typer.Exit(RUN_DEPARTMENTS_FAILED)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the public API, the web pages and the steward console."""
    import uvicorn

    from api.app import create_app
    from api.server import uvicorn_options

    settings = _settings(api_host=host, api_port=port)
    console.print(f"CreditHub at http://{settings.api_host}:{settings.api_port}/")
    uvicorn.run(create_app(settings), **uvicorn_options(settings))


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic) at CREDITHUB_DATABASE_URL."""
    from credithub.storage.db import Database

    settings = _settings()
    db = Database(settings.resolved_database_url)
    db.migrate()
    console.print(f"schema up to date ({db.dialect})")


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked)."""
    from sqlalchemy.engine import make_url

    settings = _settings()
    data = json.loads(settings.model_dump_json())  # SecretStr fields dump as "**********"
    data["database_url"] = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_json, level=logging.WARNING)
    app()


if __name__ == "__main__":
    main()
