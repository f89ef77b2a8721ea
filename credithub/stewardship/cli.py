"""`credithub stewards …`: create, list and revoke data steward tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from credithub.errors import CreditHubError
from credithub.settings import Settings
from credithub.stewardship.tokens import add_steward, list_stewards, revoke_steward
from credithub.storage.db import Database

app = typer.Typer(help="Manage data steward tokens (department-scoped; admins see all).", no_args_is_help=True)
err = Console(stderr=True)


def _db() -> Database:
    settings = Settings()
    db = Database(settings.resolved_database_url)
    db.migrate()
    return db


@app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", help="Steward's name (shown in the audit log).")],
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Department the steward may see and change, e.g. tax.")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Admin role: all departments and the audit log.")] = False,
    expires_days: Annotated[int | None, typer.Option(
        "--expires-days", min=1, max=3650,
        help="Token lifetime in days (default CREDITHUB_STEWARD_TOKEN_DAYS, 90).")] = None,
) -> None:
    """Create a steward and print its token ONCE (only a hash is stored)."""
    if not admin and not department:
        err.print("[red]error:[/red] --department is required (or --admin)")
        raise typer.Exit(2)
    if not admin:
        from connectors.registry import load_registry

        known = sorted(load_registry())
        if department not in known:
            err.print(f"[red]error:[/red] unknown department {department!r}; known: {', '.join(known)}")
            raise typer.Exit(2)
    db = _db()
    try:
        info, token = add_steward(db, Settings(), name=name, department=department, admin=admin,
                                  expires_days=expires_days)
    except CreditHubError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    scope = "all departments (admin)" if admin else f"department {info.department}"
    expires = info.expires_at.strftime("%Y-%m-%d %H:%M UTC") if info.expires_at else "?"
    err.print(f"steward #{info.id} {info.name}: {scope}, expires {expires}. "
              "Store this token now; it is not shown again:")
    typer.echo(token)


@app.command("list")
def list_(
    active: Annotated[bool, typer.Option("--active", help="Hide revoked tokens.")] = False,
) -> None:
    """List stewards (token prefixes only; tokens themselves are never stored)."""
    db = _db()
    try:
        rows = list_stewards(db, Settings(), include_revoked=not active)
    finally:
        db.dispose()
    table = Table(title="Stewards")
    for col in ("id", "name", "department", "role", "token"):
        table.add_column(col, no_wrap=True)  # names and token prefixes are what admins search for
    for col in ("created", "expires", "revoked"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r.id), r.name, r.department or "*", r.role, r.token_prefix + "…",
                      r.created_at.strftime("%Y-%m-%d"),
                      r.expires_at.strftime("%Y-%m-%d") if r.expires_at else "",
                      r.revoked_at.strftime("%Y-%m-%d %H:%M") if r.revoked_at else "")
    Console().print(table)


@app.command("revoke")
def revoke(steward_id: Annotated[int, typer.Argument(help="Steward id (see `credithub stewards list`).")]) -> None:
    """Revoke a steward's token; requests with it get 401 from then on."""
    db = _db()
    try:
        info = revoke_steward(db, steward_id)
    except CreditHubError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(f"revoked steward #{info.id} {info.name}")
