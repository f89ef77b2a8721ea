"""`credithub scorecard …`: evaluate the department scorecard or show it, outside Airflow."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from credithub.scorecard.evaluate import evaluate_scorecard, scorecard_view
from credithub.scorecard.models import ScorecardReport
from credithub.settings import Settings
from credithub.storage.db import Database

app = typer.Typer(help="Department scorecard: warnings, yellow and red cards, monthly ranking.", no_args_is_help=True)
console = Console()
STATUS_ZH = {"ok": "正常", "warning": "预警", "yellow": "黄牌", "red": "红牌", "sync_failed": "同步失败", "never_synced": "从未同步"}


def _at(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _print(report: ScorecardReport, as_json: bool) -> None:
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    table = Table(title=f"部门记分卡 {report.month}")
    for col in ("名次", "部门", "得分", "状态", "预警", "黄牌", "红牌", "失败率"):
        table.add_column(col)
    status = {d.department: d.status for d in report.departments}
    for r in report.ranking:
        rate = "—" if r.failure_rate is None else f"{r.failure_rate:.1%}"
        table.add_row(str(r.rank), f"{r.title} ({r.department})", f"{r.score:.1f}", STATUS_ZH[status[r.department]],
                      str(r.warnings), str(r.yellow_cards), str(r.red_cards), rate)
    console.print(table)
    for card in report.raised:
        console.print(f"[bold]新亮牌[/bold] {card.department} {card.level} {card.metric}: {card.reason}")


@app.command()
def evaluate(
    at: Annotated[str | None, typer.Option(help="Evaluate as of this ISO time (default: now, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Measure every department, raise/clear cards, send notices (as configured) and rank."""
    settings = Settings()
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        _print(evaluate_scorecard(db, settings, _at(at)), as_json)
    finally:
        db.dispose()


@app.command()
def show(
    at: Annotated[str | None, typer.Option(help="As of this ISO time (default: now, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Show the scorecard without raising cards or sending anything."""
    settings = Settings()
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        _print(scorecard_view(db, settings, _at(at)), as_json)
    finally:
        db.dispose()
