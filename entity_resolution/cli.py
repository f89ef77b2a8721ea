"""Command line: `credithub resolve` (standalone, no database) and `credithub eval er`.

The root CLI mounts `resolve_command` as `credithub resolve` and `eval_app` as `credithub eval`;
`app` bundles both for running this module on its own.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

# The matcher (pypinyin, OpenCC, word lists) is imported inside the commands: `credithub --help`
# and every other sub-command must not pay for it.

console = Console(stderr=True)
# Wide enough for the 17 department names when output goes to a file or a CI log.
out_console = Console(width=120) if not Console().is_terminal else Console()

app = typer.Typer(help="Entity resolution: group records of the same company.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate pipeline quality on sandbox ground truth.", no_args_is_help=True)


def _progress(*, auto_refresh: bool = True) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=console, transient=True, auto_refresh=auto_refresh)


def resolve_command(
    input: Annotated[Path, typer.Option("--input", "-i", help="records.jsonl: one record per line "
                                        "{source, record_id, name, uscc, reg_no, org_code, tax_no, address, "
                                        "legal_rep, established}.", exists=True, dir_okay=False, readable=True)],
    output: Annotated[Path, typer.Option("--output", "-o", help="clusters.jsonl to write: "
                                         "{source, record_id, entity_id} per input line.", dir_okay=False)],
    workers: Annotated[int | None, typer.Option(help="Processes that parse records (default: every CPU for "
                                                "inputs over 8 MB; the result is the same for any number).",
                                                min=1)] = None,
) -> None:
    """Resolve records.jsonl into clusters.jsonl (no database or server needed)."""
    from entity_resolution.jsonl import InputError, resolve_file

    # No refresh thread: the parsing workers are forked from this process, and forking beside a
    # live thread is what can hang a child (entity_resolution.jsonl falls back to a slower
    # forkserver then). The bar is redrawn at each step the resolver reports instead.
    with _progress(auto_refresh=False) as progress:
        task = progress.add_task("reading records", total=None)

        def step(stage: str, n: int) -> None:
            progress.update(task, description=f"{stage}: {n:,} records")
            progress.refresh()

        try:
            summary = resolve_file(input, output, workers=workers, progress=step)
        except InputError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    flags = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.flags.items())) or "none"
    console.print(f"{summary.records:,} records -> {summary.entities:,} entities in {summary.seconds:.1f} s "
                  f"(flags: {flags}); wrote {output}")


app.command("resolve")(resolve_command)


def _scores_table(title: str, rows: list, overall) -> Table:  # type: ignore[no-untyped-def]
    table = Table(title=title)
    for col in ("scope", "records", "true pairs", "predicted pairs", "precision", "recall", "F1"):
        table.add_column(col, justify="right" if col != "scope" else "left", no_wrap=True)
    for r in [*rows, overall]:
        style = "bold" if r is overall else None
        table.add_row(r.scope, f"{r.records:,}", f"{r.true_pairs:,}", f"{r.predicted_pairs:,}",
                      f"{r.precision:.4f}", f"{r.recall:.4f}", f"{r.f1:.4f}", style=style)
    return table


@eval_app.command("er")
def eval_er(
    companies: Annotated[int, typer.Option(help="Companies in the generated sandbox.")] = 1000,
    seed: Annotated[int, typer.Option(help="Sandbox seed.")] = 20261128,
    sandbox: Annotated[Path | None, typer.Option(help="Use this already generated sandbox instead of a new one.",
                                                 file_okay=False)] = None,
    sweep: Annotated[bool, typer.Option(help="Also score a grid of name thresholds (calibration).")] = False,
    synthetic: Annotated[int, typer.Option(help="Instead of the sandbox, score on N synthetic companies "
                                           "(entity_resolution.synthetic; no connectors needed).")] = 0,
) -> None:
    """Pairwise precision, recall and F1 of entity resolution on sandbox ground truth."""
    from entity_resolution.evaluate import (
        evaluate_records,
        read_sandbox_records,
        read_truth,
    )

    with _progress() as progress:
        task = progress.add_task("preparing", total=None)
        if synthetic:
            records, truth, skipped = _synthetic(synthetic, seed)
        else:
            with tempfile.TemporaryDirectory(prefix="credithub-eval-") as tmp:
                out_dir = sandbox or Path(tmp) / "sandbox"
                if sandbox is None:
                    from credithub.sandbox import generate

                    progress.update(task, description=f"generating sandbox ({companies:,} companies)")
                    generate(out_dir, companies, seed)
                records, skipped = read_sandbox_records(
                    out_dir, progress=lambda s: progress.update(task, description=f"reading {s}"))
                truth = read_truth(out_dir)
        progress.update(task, description=f"resolving {len(records):,} records")
        overall, per, seconds = evaluate_records(records, truth)
    if not records:
        console.print("[red]no records were read[/red]: are the department connectors installed?")
        raise typer.Exit(1)
    out_console.print(_scores_table(
        f"Entity resolution — pairwise scores ({len(records):,} records, {skipped:,} unmappable rows skipped, "
        f"resolved in {seconds:.2f} s)", per, overall))
    ok = overall.precision >= 0.998 and overall.recall >= 0.99
    out_console.print(("[green]meets[/green]" if ok else "[red]misses[/red]")
                      + " the targets precision ≥ 0.998, recall ≥ 0.99")
    if sweep:
        _sweep(records, truth)


def _synthetic(companies: int, seed: int):  # type: ignore[no-untyped-def]
    from entity_resolution import synthetic as syn
    from entity_resolution.matcher import MatchRecord

    rows, truth_pairs = syn.records(syn.population(companies, seed), 4.0, seed + 1)
    records = [
        MatchRecord(key=f"{r['source']}/{r['source']}/{r['record_id']}", name=r["name"],  # type: ignore[arg-type]
                    former_names=tuple(r.get("former_names") or ()), uscc=r["uscc"], reg_no=r["reg_no"],  # type: ignore[arg-type]
                    org_code=r["org_code"], tax_no=r["tax_no"], address=r["address"],  # type: ignore[arg-type]
                    legal_rep=r["legal_rep"], established=r["established"],  # type: ignore[arg-type]
                    is_register=bool(r.get("is_register")), department=str(r["source"]))
        for r in rows
    ]
    truth = {f"{s}/{s}/{rid}": c for (s, rid), c in truth_pairs.items()}
    return records, truth, 0


def _sweep(records, truth) -> None:  # type: ignore[no-untyped-def]
    from entity_resolution.evaluate import evaluate_records
    from entity_resolution.matcher import MatcherConfig

    table = Table(title="Calibration sweep (accept threshold × one-edit score)")
    for col in ("accept", "one_edit", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    base = MatcherConfig()
    for accept in (0.85, 0.9, 0.95):
        for one_edit in (0.8, 0.85, 0.9):
            cfg = dataclasses.replace(base, accept=accept, one_edit=one_edit)
            overall, _, _ = evaluate_records(records, truth, cfg)
            table.add_row(f"{accept:.2f}", f"{one_edit:.2f}", f"{overall.precision:.4f}", f"{overall.recall:.4f}",
                          f"{overall.f1:.4f}")
    out_console.print(table)


app.add_typer(eval_app, name="eval")


if __name__ == "__main__":
    app()
