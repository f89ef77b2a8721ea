"""`credithub connectors …`: list, check, sync, test and scaffold department connectors.

Where a command's source config comes from, in order: `--config FILE` (one connector's config,
or a sources file mapping department -> config), the sources file in settings
(CREDITHUB_SOURCES_CONFIG), else the sandbox (generated under settings.sandbox_dir, or in a temp
dir for `test`, and served on 127.0.0.1 while the command runs).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.registry import load_registry
from connectors.sdk.base import Connector
from credithub.errors import ConfigError, CreditHubError
from credithub.settings import Settings

app = typer.Typer(help="List, check, sync, test and scaffold department connectors.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _fail(exc: Exception) -> None:
    err_console.print(f"[red]error:[/] {exc}")
    raise typer.Exit(1)


def _load_class(name: str, path: Path | None) -> type[Connector]:
    """A registry name, or `module:Class` (with --path added to sys.path) for unpublished packages."""
    if path is not None:
        sys.path.insert(0, str(path.resolve()))
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot import {name}: {exc}", connector=name) from exc
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigError(f"{name} is not a Connector subclass", connector=name)
        return cls
    registry = load_registry()
    if name not in registry:
        raise ConfigError(f"no connector named {name!r}", known=", ".join(registry) or "(none registered)")
    return registry[name]


def _read_config_file(path: Path, name: str) -> dict[str, Any]:
    from credithub.pipeline.sources import read_sources_file

    data = read_sources_file(path)
    if name in data and isinstance(data[name], dict):
        return data[name]
    return dict(data)


@contextlib.contextmanager
def _sandbox_configs(sandbox_dir: Path, companies: int, seed: int, generate: bool) -> Iterator[dict[str, dict[str, Any]]]:
    """Generate (if asked or missing) and serve a sandbox; yields department -> config."""
    from credithub import sandbox
    from credithub.sandbox.server import serve_sandbox

    if generate or not (sandbox_dir / "ground_truth.jsonl").exists():
        with err_console.status(f"generating sandbox ({companies} companies) in {sandbox_dir}"):
            sandbox.generate(sandbox_dir, companies, seed)
    with serve_sandbox(sandbox_dir) as server:
        yield sandbox.sources_config(sandbox_dir, server.base_urls)


@contextlib.contextmanager
def _config_for(
    cls: type[Connector], config: Path | None, settings: Settings, *, temp_sandbox: bool, companies: int | None = None
) -> Iterator[dict[str, Any]]:
    if config is not None:
        yield _read_config_file(config, cls.name)
        return
    if settings.sources_config is not None:
        yield _read_config_file(settings.sources_config, cls.name)
        return
    with contextlib.ExitStack() as stack:
        if temp_sandbox:
            out = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="credithub-sandbox-")))
            configs = stack.enter_context(
                _sandbox_configs(out, companies or 60, settings.sandbox_seed, generate=True)
            )
        else:
            configs = stack.enter_context(
                _sandbox_configs(settings.sandbox_dir, companies or settings.sandbox_companies, settings.sandbox_seed, False)
            )
        if cls.name not in configs:
            raise ConfigError(
                "the sandbox has no source for this connector; pass --config", connector=cls.name
            )
        yield configs[cls.name]


def _transports(cls: type[Connector]) -> str:
    return ", ".join(sorted({getattr(s, "transport_kind", "custom") for s in cls.streams}))


def _sla(cls: type[Connector]) -> str:
    secs = int(cls.freshness_sla.total_seconds())
    if secs % 86400 == 0:
        return f"{secs // 86400}d"
    if secs % 3600 == 0:
        return f"{secs // 3600}h"
    return f"{secs // 60}min"


ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="JSON/YAML file: this connector's config, or department -> config.")
]
PathOpt = Annotated[Path | None, typer.Option("--path", help="Directory added to sys.path (for NAME given as module:Class).")]


@app.command("list")
def list_connectors(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every registered connector (built-in departments and entry-point packages)."""
    try:
        registry = load_registry()
    except CreditHubError as exc:
        _fail(exc)
    rows = [
        {
            "name": name,
            "title": cls.title,
            "streams": [s.name for s in cls.streams],
            "transport": _transports(cls),
            "schedule": cls.schedule,
            "sla": _sla(cls),
            "module": cls.__module__,
        }
        for name, cls in registry.items()
    ]
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} connectors")
    table.add_column("name", overflow="fold", min_width=12)
    table.add_column("中文名", overflow="fold")
    table.add_column("streams", overflow="fold", min_width=14)
    for col in ("transport", "schedule", "SLA"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["title"], "\n".join(r["streams"]), r["transport"], r["schedule"], r["sla"])
    console.print(table)


@app.command()
def check(
    name: Annotated[str, typer.Argument(help="Connector name (see `list`) or module:Class.")],
    config: ConfigOpt = None,
    path: PathOpt = None,
) -> None:
    """Can the source be reached and read as configured?"""
    settings = Settings()
    try:
        cls = _load_class(name, path)
        with _config_for(cls, config, settings, temp_sandbox=False) as cfg:
            result = cls(cfg).check()
    except CreditHubError as exc:
        _fail(exc)
    colour = "green" if result.ok else "red"
    console.print(f"[{colour}]{'ok' if result.ok else 'FAILED'}[/] {result.message or ''}")
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def sync(
    name: Annotated[str, typer.Argument(help="Connector name (see `list`).")],
    full: Annotated[bool, typer.Option("--full", help="Re-read everything from the start (no duplicates).")] = False,
    config: ConfigOpt = None,
    path: PathOpt = None,
) -> None:
    """Sync one department into the database: every fetched record lands raw, then staged."""
    from credithub.pipeline.sync import sync_department
    from credithub.storage.db import Database

    settings = Settings()
    try:
        cls = _load_class(name, path)
        db = Database(settings.resolved_database_url)
        db.migrate()
        with _config_for(cls, config, settings, temp_sandbox=False) as cfg:
            connector = cls(cfg)
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console
            ) as progress:
                progress.add_task(f"syncing {name}{' (full)' if full else ''}", total=None)
                reports = sync_department(db, connector, full=full, raise_errors=False)
    except CreditHubError as exc:
        _fail(exc)
    table = Table(title=f"sync {name}")
    for col in ("stream", "batch", "status", "fetched", "new", "faulty", "drift", "error"):
        table.add_column(col)
    for r in reports:
        table.add_row(
            r.stream, str(r.batch_id), r.status, str(r.rows_fetched), str(r.rows_new), str(r.rows_faulty),
            str(len(r.drift)), r.error or "",
        )
    console.print(table)
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(1)


@app.command()
def test(
    name: Annotated[str, typer.Argument(help="Connector name (see `list`) or module:Class.")],
    config: ConfigOpt = None,
    path: PathOpt = None,
    companies: Annotated[int, typer.Option(help="Companies in the temporary sandbox (every stream needs records).")] = 60,
    bad_rows_config: Annotated[
        Path | None, typer.Option(help="Config of a source with bad rows (for transports that cannot be injected).")
    ] = None,
) -> None:
    """Run the standard acceptance suite against the connector (a small temporary sandbox by default)."""
    from connectors.acceptance import CHECKS, render_report, run_acceptance

    settings = Settings()
    try:
        cls = _load_class(name, path)
        bad_rows = _read_config_file(bad_rows_config, cls.name) if bad_rows_config else None
        with _config_for(cls, config, settings, temp_sandbox=True, companies=companies) as cfg:
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console
            ) as progress:
                task = progress.add_task(f"acceptance {cls.name}", total=len(CHECKS))

                def step(check_name: str) -> None:
                    progress.update(task, description=f"acceptance {cls.name}: {check_name}", advance=1)

                report = run_acceptance(cls, cfg, bad_rows_config=bad_rows, progress=step)
    except CreditHubError as exc:
        _fail(exc)
    console.print(render_report(report))
    if not report.ok:
        console.print(f"[red]{len(report.failures())} check(s) failed[/]")
        raise typer.Exit(1)
    console.print(f"[green]{cls.name} passed {sum(o.ok for o in report.outcomes)} checks[/]")


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Connector name: lower-case letters, digits, _.")],
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to create the package (default ./credithub-conn-NAME).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Chinese department name, e.g. 水务局.")] = None,
) -> None:
    """Scaffold a working connector package (code, sample data, config, expectation suite, test)."""
    from connectors.scaffold import scaffold

    dest = directory or Path(f"credithub-conn-{name.replace('_', '-')}")
    try:
        files = scaffold(name, dest, title=title)
    except CreditHubError as exc:
        _fail(exc)
    for f in files:
        console.print(f"  created {f}")
    console.print(
        f"next: [bold]pip install -e {dest}[/] then [bold]credithub connectors test {name} "
        f"--config {dest / 'config.example.json'}[/]\n"
        f"  (or without installing: credithub connectors test credithub_conn_{name}:"
        f"{''.join(p.capitalize() for p in name.split('_'))}Connector --path {dest} --config {dest / 'config.example.json'})"
    )
